import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInCatalog, sha256Hex } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { createLogger, createMetrics } from "@reelgate/service-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { ApiError } from "../src/http/api-error.ts";
import { openViews, type Views } from "../src/views/views.ts";

const KEY = "rg-test-key";

/** Ingress in process, on real SQLite stores and files; billing is not reached by these routes. */
const ingress = async ({ rateLimitPerMinute = 1000 } = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "reelgate-ingress-"));
  const store = openSqliteEventStore(join(dir, "events.db"));
  const documents = openSqliteDocumentStore(join(dir, "views.db"));
  const views: Views = await openViews(documents);
  await views.keys.put(
    { id: "key_1", accountId: "acct_1", name: "test", sha256: sha256Hex(KEY), revoked: false },
    null,
  );
  await views.balances.put(
    { id: "acct_1", name: "test", version: 2, balanceMicros: 100_000_000, reservedMicros: 0 },
    null,
  );
  const app = await buildApp({
    store,
    views,
    objects: fileStorage(join(dir, "media")),
    billing: {
      openAccount: () => Promise.reject(new Error("not used")),
      getAccount: () => Promise.reject(new Error("not used")),
    },
    catalog: builtInCatalog,
    images: { read: () => Promise.reject(new ApiError(400, "no images in this test")) },
    playableUrl: async () => null,
    adminToken: "admin",
    log: createLogger("ingress", "silent"),
    metrics: createMetrics("ingress"),
    checks: [],
    now: () => new Date(),
    onAppended: () => undefined,
    bodyLimitBytes: 1024 * 1024,
    rateLimitPerMinute,
  });
  return {
    app,
    store,
    create: (body: object, headers: Record<string, string> = {}) =>
      app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: { authorization: `Bearer ${KEY}`, ...headers },
        payload: body,
      }),
    async close() {
      await app.close();
      await documents.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

describe("ingress API in process", () => {
  let api: Awaited<ReturnType<typeof ingress>>;
  afterEach(async () => api?.close());

  describe("Idempotency-Key", () => {
    beforeEach(async () => {
      api = await ingress();
    });

    it("answers a repeated create with the first response and creates nothing new", async () => {
      const first = await api.create({ prompt: "once" }, { "idempotency-key": "k1" });
      const again = await api.create({ prompt: "once" }, { "idempotency-key": "k1" });
      expect(first.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      expect(await api.store.countAll({ category: "task" })).toBe(1);
    });

    it("refuses the same key with another body, and keeps keys apart from each other", async () => {
      await api.create({ prompt: "once" }, { "idempotency-key": "k1" });
      const clash = await api.create({ prompt: "something else" }, { "idempotency-key": "k1" });
      expect(clash.statusCode).toBe(409);
      expect(clash.json().error.code).toBe("idempotency_key_reused");
      expect((await api.create({ prompt: "once" }, { "idempotency-key": "k2" })).statusCode).toBe(200);
      expect(await api.store.countAll({ category: "task" })).toBe(2);
    });

    it("lets a refused request be retried with the same key", async () => {
      expect((await api.create({ prompt: "x", seconds: "5" }, { "idempotency-key": "k3" })).statusCode).toBe(400);
      expect((await api.create({ prompt: "x", seconds: "4" }, { "idempotency-key": "k3" })).statusCode).toBe(200);
    });
  });

  describe("rate limiting", () => {
    it("answers 429 with Retry-After in OpenAI's shape once a key is over its limit", async () => {
      api = await ingress({ rateLimitPerMinute: 3 });
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof api.create>> | undefined;
      for (let i = 0; i < 4; i++) {
        const response = await api.app.inject({
          method: "GET",
          url: "/v1/videos",
          headers: { authorization: `Bearer ${KEY}` },
        });
        statuses.push(response.statusCode);
        if (response.statusCode === 429) limited = response;
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(limited?.headers["retry-after"])).toBeGreaterThan(0);
      expect(limited?.json().error).toMatchObject({ code: "rate_limit_exceeded" });
      const other = await api.app.inject({
        method: "GET",
        url: "/v1/videos",
        headers: { authorization: "Bearer another-key" },
      });
      expect(other.statusCode).toBe(401);
    });
  });

  it("caps request bodies with a 413 in the error shape", async () => {
    api = await ingress();
    const response = await api.create({ prompt: "x".repeat(2 * 1024 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe("request_too_large");
    expect(await api.store.countAll()).toBe(0);
  });

  it("names the request id in the header of every answer", async () => {
    api = await ingress();
    const response = await api.create({ prompt: "hello" });
    const error = await api.app.inject({ method: "GET", url: "/v1/videos/video_nope" });
    expect(response.headers["x-request-id"]).toMatch(/^req_/);
    expect(error.headers["x-request-id"]).toMatch(/^req_/);
    const echoed = await api.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "req_mine" } });
    expect(echoed.headers["x-request-id"]).toBe("req_mine");
  });
});
