import { builtInCatalog } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { ObjectStorage } from "@reelgate/object-storage";
import { createLogger, createMetrics } from "@reelgate/service-kit";
import type { BillingClient } from "../../src/adapters/billing-client.ts";
import type { InputImageReader } from "../../src/adapters/input-image/index.ts";
import { buildApp, type IngressDeps } from "../../src/app.ts";
import { InvalidFieldError } from "../../src/domain/errors.ts";
import type { Views } from "../../src/views/views.ts";

const notUsed = () => Promise.reject(new Error("not used"));

/** Billing that no route of the test reaches; give the methods a test does use. */
export const stubBilling = (methods: Partial<BillingClient> = {}): BillingClient => ({
  openAccount: notUsed,
  getAccount: notUsed,
  credit: notUsed,
  ledger: notUsed,
  ...methods,
});

/** An image reader for tests that send no images: any image is refused. */
export const noImages: InputImageReader = {
  receive: () => Promise.reject(new InvalidFieldError("no images in this test", { param: "input_reference" })),
  read: () => Promise.reject(new InvalidFieldError("no images in this test", { param: "input_reference" })),
  fit: () => Promise.reject(new InvalidFieldError("no images in this test", { param: "input_reference" })),
};

/**
 * The one way ingress tests build the app: their stores, and the rest stubbed or at test defaults (stub billing,
 * no images, the built-in catalog, silent logs, generous limits); `overrides` replace any of them.
 */
export const buildTestApp = (
  { store, views, objects }: { store: EventStore; views: Views; objects: ObjectStorage },
  overrides: Partial<IngressDeps> = {},
) =>
  buildApp({
    store,
    views,
    objects,
    billing: stubBilling(),
    catalog: builtInCatalog,
    images: noImages,
    playableUrl: async () => null,
    adminToken: "admin",
    log: createLogger("ingress", "silent"),
    metrics: createMetrics("ingress"),
    now: () => new Date(),
    onAppended: () => undefined,
    bodyLimitBytes: 1024 * 1024,
    rateLimitPerMinute: 10_000,
    ...overrides,
  });
