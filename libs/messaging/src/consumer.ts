import { setTimeout as sleep } from "node:timers/promises";
import { type ConsumerMessages, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import type { Logger } from "pino";
import { ensureDurable } from "./consumer-config.ts";
import { deadLetter } from "./dead-letter.ts";
import { type Handler, type Outcome, runHandler } from "./handle-message.ts";
import { atTurnEnd } from "./turn-end.ts";
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
  /** The purpose of a consumer of this service this one was split out of (see DurableSettings.splitFrom). */
  splitFrom?: string;
  handle: Handler;
  log: Logger;
  /**
   * Failed handler runs (thrown errors) before a message is dead-lettered; Infinity never dead-letters a
   * failure. Waits (`{ retryInMs }`) and redeliveries after a lost handler (a crash, ack_wait) never count.
   */
  maxDeliver?: number;
  ackWaitMs?: number;
  /**
   * Handlers in flight at most; also the largest pull (a pull asks for the free handler slots). Each pull
   * is a subscription, a pull request and an unsubscribe (three socket writes and three server operations),
   * so the default is large: with 32, the many consumers of a service each pulled every 32 messages and
   * the pulls were most of a service's socket writes. Handlers of one stream queue in the aggregate anyway.
   */
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

/** Messages whose failures one process remembers at most; the oldest are forgotten first. */
const REMEMBERED_FAILURES = 100_000;

/**
 * Failed runs per message (by stream sequence) in this process. The server's delivery count cannot be
 * used: it also counts every wait and every redelivery after a crash, and a message that waits for
 * another event must never be dead-lettered for it. A restarted process starts the counts again, so a
 * message may fail up to `maxDeliver` times per process before it is dead-lettered.
 */
const failureCounts = () => {
  const counts = new Map<number, number>();
  return {
    failed(sequence: number) {
      const failures = (counts.get(sequence) ?? 0) + 1;
      counts.delete(sequence);
      counts.set(sequence, failures);
      if (counts.size > REMEMBERED_FAILURES) counts.delete(counts.keys().next().value as number);
      return failures;
    },
    settled(sequence: number) {
      counts.delete(sequence);
    },
  };
};

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
  splitFrom,
  handle,
  log: parentLog,
  maxDeliver = 10,
  ackWaitMs = 30_000,
  concurrency = 256,
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
  // The server redelivers for ever; this process dead-letters (see failureCounts), so waits never run out.
  const settings = {
    durable,
    filterSubject,
    maxDeliver: Number.POSITIVE_INFINITY,
    ackWaitMs,
    maxAckPending,
    splitFrom: splitFrom === undefined ? undefined : `${service}-${splitFrom}`,
  };
  await ensureDurable(jsm, stream, settings);
  const consumer = await js.consumers.get(stream, durable);
  const pool = workPool(concurrency);
  const stopping = new AbortController();
  let pull: ConsumerMessages | undefined;

  const failures = failureCounts();

  // Acks of one event-loop turn go out together, and with the relay's publishes of that turn (atTurnEnd):
  // the client writes its buffer to the socket once per microtask flush, and handlers finishing one by one
  // would each pay a socket write of their own. An ack is queued only once its handler has returned, i.e.
  // after its appends are committed; held until the turn ends it is only delayed, and a crash before it
  // means a redelivery, as ever.
  let acks: JsMsg[] = [];
  const flushAcks = () => {
    const batch = acks;
    acks = [];
    for (const msg of batch) msg.ack();
  };
  const ack = (msg: JsMsg) => {
    if (acks.push(msg) === 1) atTurnEnd(nc, flushAcks);
  };

  const settle = async (msg: JsMsg, outcome: Outcome) => {
    const { deliveryCount, streamSequence } = msg.info;
    if (outcome.kind === "ack") {
      failures.settled(streamSequence);
      return ack(msg);
    }
    // Waiting for something else to happen is not a failure: it never leads to a dead letter.
    if (outcome.kind === "retry") return msg.nak(outcome.delayMs);
    let reason = outcome.kind === "poison" ? outcome.reason : "";
    if (outcome.kind === "failed") {
      const failed = failures.failed(streamSequence);
      if (failed < maxDeliver) {
        const delayMs = retryDelayMs(failed);
        log.warn(
          { err: outcome.error, failures: failed, deliveryCount, retryInMs: delayMs, subject: msg.subject },
          "handler failed; will retry",
        );
        return msg.nak(delayMs);
      }
      reason = `failed ${failed} times (maxDeliver ${maxDeliver}): ${String((outcome.error as Error)?.message ?? outcome.error)}`;
    }
    try {
      await deadLetter(js, names, service, durable, msg, reason, log);
      failures.settled(streamSequence);
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
    flushAcks();
    log.info("consumer stopped");
  };
  return {
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
};
