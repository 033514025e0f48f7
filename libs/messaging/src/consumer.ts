import { setTimeout as sleep } from "node:timers/promises";
import { type ConsumerMessages, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import type { Logger } from "pino";
import { ensureDurable } from "./consumer-config.ts";
import { deadLetter } from "./dead-letter.ts";
import { type Handler, type Outcome, runHandler } from "./handle-message.ts";
import { workPool } from "./work-pool.ts";

/** Counts outcomes by consumer (prom-client's Counter fits). */
export interface ConsumerMetrics {
  eventsHandled: { inc(labels: { consumer: string; outcome: string }): void };
}

export interface ConsumerOptions {
  nc: NatsConnection;
  names: NatsNames;
  service: string;
  /** With `service`, names the durable consumer `${service}-${purpose}`. */
  purpose: string;
  filterSubject: string;
  handle: Handler;
  log: Logger;
  /** Deliveries before a failing message is dead-lettered; Infinity for consumers that poll with `{ retryInMs }`. */
  maxDeliver?: number;
  ackWaitMs?: number;
  /** Handlers in flight at most. */
  concurrency?: number;
  /** Delay before redelivering after a transient error, from the delivery count (1 = first). */
  retryDelayMs?: (deliveryCount: number) => number;
  /**
   * Unacked messages the server hands out across all instances. Messages waiting out a `nak(delay)`
   * count too, so it must exceed the number of scheduled polls, not just `concurrency`.
   */
  maxAckPending?: number;
  /** How long one pull waits for messages; also bounds how long a lost pull (server restart) goes unnoticed. */
  pullExpiresMs?: number;
  metrics?: ConsumerMetrics;
}

export interface Consumer {
  /** Stop pulling, let the handlers in flight finish and settle their messages. */
  stop(): Promise<void>;
}

export const defaultRetryDelayMs = (deliveryCount: number) => Math.min(30_000, 250 * 2 ** (deliveryCount - 1));

/**
 * A durable pull consumer on the events stream. It pulls only as many messages as it has free
 * handler slots, so no message waits in a client buffer while its ack_wait runs out.
 */
export const startConsumer = async ({
  nc,
  names,
  service,
  purpose,
  filterSubject,
  handle,
  log: parentLog,
  maxDeliver = 10,
  ackWaitMs = 30_000,
  concurrency = 32,
  retryDelayMs = defaultRetryDelayMs,
  maxAckPending = Math.max(1_000, concurrency * 2),
  pullExpiresMs = 5_000,
  metrics,
}: ConsumerOptions): Promise<Consumer> => {
  const durable = `${service}-${purpose}`;
  const log = parentLog.child({ consumer: durable });
  const stream = names.eventsStream;
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const settings = { durable, filterSubject, maxDeliver, ackWaitMs, maxAckPending };
  await ensureDurable(jsm, stream, settings);
  const consumer = await js.consumers.get(stream, durable);
  const pool = workPool(concurrency);
  const stopping = new AbortController();
  let pull: ConsumerMessages | undefined;

  const settle = async (msg: JsMsg, outcome: Outcome) => {
    const deliveryCount = msg.info.deliveryCount;
    const exhausted = deliveryCount >= maxDeliver;
    if (outcome.kind === "ack") return msg.ack();
    if (outcome.kind === "retry" && !exhausted) return msg.nak(outcome.delayMs);
    if (outcome.kind === "failed" && !exhausted) {
      const delayMs = retryDelayMs(deliveryCount);
      log.warn(
        { err: outcome.error, deliveryCount, retryInMs: delayMs, subject: msg.subject },
        "handler failed; will retry",
      );
      return msg.nak(delayMs);
    }
    const reason =
      outcome.kind === "poison"
        ? outcome.reason
        : outcome.kind === "retry"
          ? `still retrying after ${deliveryCount} deliveries (maxDeliver ${maxDeliver})`
          : `failed ${deliveryCount} times (maxDeliver ${maxDeliver}): ${String((outcome.error as Error)?.message ?? outcome.error)}`;
    try {
      await deadLetter(js, names, service, durable, msg, reason);
      log.error({ reason, deliveryCount, subject: msg.subject }, "message dead-lettered");
      msg.term();
    } catch (error) {
      // Not dead-lettered means not settled: keep it on the stream and try again later.
      log.error({ err: error, reason }, "could not dead-letter a message; will retry");
      msg.nak(retryDelayMs(deliveryCount));
    }
  };

  const deliver = async (msg: JsMsg) => {
    const outcome = await runHandler(msg, handle, log);
    metrics?.eventsHandled.inc({ consumer: durable, outcome: outcome.kind });
    await settle(msg, outcome);
  };

  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  const pullLoop = async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (pool.free() === 0) {
        await pool.next();
        continue;
      }
      try {
        pull = await consumer.fetch({ max_messages: pool.free(), expires: pullExpiresMs });
        // A pull the server forgot (it restarted) must not hang the loop.
        const watchdog = setTimeout(() => pull?.close(), pullExpiresMs * 3);
        const startedAt = Date.now();
        let received = 0;
        try {
          for await (const msg of pull) {
            received++;
            if (stopping.signal.aborted) msg.nak();
            else pool.run(() => deliver(msg));
          }
        } finally {
          clearTimeout(watchdog);
        }
        failures = 0;
        // A pull the server ended early and empty (a status we do not act on) must not become a busy loop.
        if (received === 0 && Date.now() - startedAt < pullExpiresMs / 2) await pause(100);
      } catch (error) {
        if (stopping.signal.aborted) break;
        failures++;
        log.warn({ err: error, failures }, "pulling messages failed; retrying");
        await pause(Math.min(5_000, 100 * 2 ** failures));
        // The consumer may be gone (a server that lost its store): recreate it when the stream is there.
        await ensureDurable(jsm, stream, settings).catch(() => undefined);
      } finally {
        pull = undefined;
      }
    }
  };
  const loop = pullLoop();
  log.info({ filterSubject, concurrency }, "consumer started");

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopping.abort();
    pool.interrupt();
    // Ends the pull; messages already on their way are nak'd so another instance takes them at once.
    await pull?.close();
    await loop;
    await pool.idle();
    log.info("consumer stopped");
  };
  return {
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
};
