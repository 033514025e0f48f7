import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";
import pRetry from "p-retry";
import type { Logger } from "pino";

/** How long a service's start waits for NATS unless told otherwise (REELGATE_NATS_START_TIMEOUT_SECONDS). */
export const DEFAULT_NATS_START_TIMEOUT_MS = 60_000;

/** Socket errors of a server that is down, restarting or not yet in DNS (a pod starting beside it). */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EPIPE",
]);

/**
 * What a NATS server that is down, starting or just restarted answers: nothing (a timeout), no responders
 * while JetStream is coming up, 503 "temporarily unavailable". Anything else (a wrong password, a bad
 * URL, a stream that exists with other settings) will not change by waiting.
 */
export const isNatsStarting = (error: unknown): boolean => {
  if (error instanceof errors.TimeoutError || error instanceof errors.ConnectionError) return true;
  if (error instanceof errors.NoRespondersError) return true;
  if (error instanceof errors.RequestError) return error.isNoResponders();
  // "jetstream is not enabled" from no responders: JetStream is still coming up (not so for code 10039).
  if (error instanceof Error && error.name === "JetStreamNotEnabled") return isNatsStarting(error.cause);
  if (error instanceof JetStreamApiError)
    return error.status === 503 && error.code !== JetStreamApiCodes.JetStreamNotEnabledForAccount;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && UNREACHABLE.has(code);
};

export interface NatsStartOptions {
  /** Give up (the last error, named) after this time: the service then exits and its supervisor decides. */
  timeoutMs?: number;
  log: Logger;
}

/**
 * Runs one step of a service's start against NATS (connect, streams, a durable consumer, a KV bucket),
 * again with backoff while NATS is down or starting, for at most `timeoutMs`. Fails at once on errors
 * that waiting will not mend.
 */
export const whileNatsStarts = async <T>(
  what: string,
  step: () => Promise<T>,
  { timeoutMs = DEFAULT_NATS_START_TIMEOUT_MS, log }: NatsStartOptions,
): Promise<T> => {
  if (timeoutMs <= 0) return step();
  try {
    return await pRetry(step, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 100,
      maxTimeout: 2_000,
      randomize: true,
      maxRetryTime: timeoutMs,
      shouldRetry: ({ error }) => isNatsStarting(error),
      onFailedAttempt: ({ error, attemptNumber }) => {
        if (isNatsStarting(error))
          log.warn({ err: error, attempt: attemptNumber, step: what }, `NATS not ready (${what}); waiting`);
      },
    });
  } catch (error) {
    if (!isNatsStarting(error)) throw error;
    throw new Error(`NATS not ready within ${timeoutMs / 1000} s (${what}): ${(error as Error).message}`, {
      cause: error,
    });
  }
};
