import type { Channel } from "@reelgate/upstream";
import type { FailedAttempt } from "./job.ts";
import { rankChannels } from "./pick-channel.ts";

export type SubmitPlan =
  /** Try these channels in this order (the first with room takes the job). */
  | { kind: "try"; channels: Channel[] }
  /** Nothing may be tried yet (backoff, Retry-After): ask again after this long. */
  | { kind: "wait"; ms: number };

const MAX_BACKOFF_MS = 30_000;

/** The wait before trying a channel again once every eligible one has failed `round` times: 1 s, 2 s, 4 s… */
export const backoffMs = (round: number) => Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, round - 1));

/**
 * Which channels the next submit try may use. A channel that failed fewer times comes first (so a
 * failure moves the job on to the next eligible channel at once); once all have failed, a channel
 * is tried again after a backoff and never before its own Retry-After (from its last failure or
 * the channel's cool-down). Within the least-tried, lowest priority first, by weight.
 */
export const planSubmit = ({
  eligible,
  attempts,
  now,
  random,
  coolDownUntil = () => 0,
}: {
  eligible: Channel[];
  attempts: readonly FailedAttempt[];
  /** Epoch milliseconds. */
  now: number;
  random: () => number;
  /** When a channel may be called again (epoch ms), shared by every poller replica. */
  coolDownUntil?: (channelId: string) => number;
}): SubmitPlan => {
  const failures = (channel: Channel) => attempts.filter((attempt) => attempt.channelId === channel.id).length;
  const fewest = Math.min(...eligible.map(failures));
  const leastTried = eligible.filter((channel) => failures(channel) === fewest);
  const lastFailure = (channel: Channel) => attempts.findLast((attempt) => attempt.channelId === channel.id);
  const readyAt = (channel: Channel) => {
    const last = lastFailure(channel);
    if (!last) return coolDownUntil(channel.id);
    // failedAt is in whole seconds: count from the end of that second, so a wait is never cut short.
    const failedBy = (last.failedAt + 1) * 1000;
    const ownRetryAfter = failedBy + (last.retryAfterMs ?? 0);
    const backoff = fewest > 0 ? failedBy + backoffMs(fewest) : 0;
    return Math.max(ownRetryAfter, backoff, coolDownUntil(channel.id));
  };
  const ready = leastTried.filter((channel) => readyAt(channel) <= now);
  if (ready.length > 0) return { kind: "try", channels: rankChannels(ready, random) };
  return { kind: "wait", ms: Math.max(50, Math.min(...leastTried.map(readyAt)) - now) };
};

/**
 * Whether an upstream's answer to a submit says the request itself is wrong (so no other channel
 * would take it): 400, 413, 415, 422 and the other 4xx — but not 401/402/403/404/405 (the channel's
 * key, credit or URL is wrong), 408/409/425/429 (try again). Network failures and 5xx are the channel's.
 */
export const requestIsWrong = (status: number | undefined) =>
  status !== undefined &&
  status >= 400 &&
  status < 500 &&
  ![401, 402, 403, 404, 405, 408, 409, 425, 429].includes(status);
