import type { FastifyRequest } from "fastify";
import type { Faults } from "./faults.ts";
import type { JobStore } from "./job-store.ts";
import type { RequestLog } from "./request-log.ts";

/** One simulated upstream account ("channel"): its jobs and faults. The request log is shared, each entry naming its channel. */
export interface SimulatorContext {
  channel: string;
  jobs: JobStore;
  faults: Faults;
  requests: RequestLog;
  now: () => number;
  /** Keys accepted; undefined accepts any non-empty key. */
  apiKeys: readonly string[] | undefined;
  newJobId: () => string;
  /** Characters made on this channel (`POST /videos/characters`), by id. */
  characters: Map<string, { id: string; name: string; created_at: number }>;
}

/** The channel a request is for: `/c/{channel}/…`, or the default channel for the unprefixed routes. */
export type ContextOf = (request: FastifyRequest) => SimulatorContext;

export const DEFAULT_CHANNEL = "default";

/** `/c/{channel}/…` names a channel; anything else is the default one. */
export const channelOfUrl = (url: string) => /^\/c\/([^/?]+)\//.exec(url)?.[1] ?? DEFAULT_CHANNEL;
