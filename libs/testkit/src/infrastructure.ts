import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    natsUrl: string | null;
    natsSkipReason: string | null;
  }
}

/**
 * The NATS server of this test run (see global-setup.ts), or null with a one-line reason.
 * Suites use it as `describe.skipIf(!nats.url)` and print the reason, so a skip is never silent.
 */
export const testNats = (): { url: string | null; skipReason: string | null } => {
  const url = inject("natsUrl");
  const skipReason = inject("natsSkipReason");
  if (!url && skipReason) console.warn(`SKIPPED: ${skipReason}`);
  return { url, skipReason };
};

/** A namespace of NATS names (streams, subjects) of a test's own, so test files can share one server. */
export const uniqueNamespace = (prefix = "t") => `${prefix}${Math.random().toString(36).slice(2, 10)}`;
