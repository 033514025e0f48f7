import type { Faults } from "./faults.ts";
import type { JobStore } from "./job-store.ts";
import type { RequestLog } from "./request-log.ts";

/** What every provider shape and the control API share. */
export interface SimulatorContext {
  jobs: JobStore;
  faults: Faults;
  requests: RequestLog;
  now: () => number;
  /** Keys accepted; undefined accepts any non-empty key. */
  apiKeys: readonly string[] | undefined;
  newJobId: () => string;
}
