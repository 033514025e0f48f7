import { jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { categoryOf, type Envelope, type NatsNames } from "@reelgate/contracts";
import type { Logger } from "pino";
import { DEAD_REASON_HEADER } from "./dead-letter.ts";

/** The part of the event store port the relay needs (`EventStore` from @reelgate/event-store satisfies it). */
export interface Outbox {
  unpublished(limit: number): Promise<{ events: Array<Envelope & { position: number }>; refs: string[] }>;
  markPublished(refs: string[]): Promise<void>;
}

export interface RelayOptions {
  store: Outbox;
  nc: NatsConnection;
  names: NatsNames;
  log: Logger;
  /** How often the relay looks at the outbox without being notified (recovers what a crash left behind). */
  intervalMs?: number;
  /** Events read from the outbox and published per round trip. */
  batchSize?: number;
  /** Upper bound of the wait after consecutive failures. */
  maxBackoffMs?: number;
  /** How long to wait for each PubAck. */
  publishTimeoutMs?: number;
  /** Whose dead-letter subject takes an event NATS refuses (default "relay"). */
  service?: string;
}

/** What NATS says when it will never take this message, whatever is retried: it is too large for the bus. */
export const isRefusedForGood = (error: unknown): boolean => {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === "MAX_PAYLOAD_EXCEEDED" ||
    (typeof message === "string" && /max(imum)?[ _]payload|message size exceeds|maximum message size/i.test(message))
  );
};

export interface Relay {
  /** Wake the relay now (call after every append). */
  notify(): void;
  /** Publish until the outbox is empty; resolves with how many events were published, rejects if publishing failed. */
  drain(): Promise<number>;
  /** Stop waking; waits for the drain in progress. */
  stop(): Promise<void>;
}

/**
 * The outbox relay: publishes unpublished events in append order with `Nats-Msg-Id` = event id, then
 * marks them published. A crash in between republishes them, and JetStream drops the duplicate
 * inside the stream's duplicate_window. One drain runs at a time; notifications during it coalesce.
 */
export const startRelay = ({
  store,
  nc,
  names,
  log,
  intervalMs = 200,
  batchSize = 500,
  maxBackoffMs = 5_000,
  publishTimeoutMs = 5_000,
  service = "relay",
}: RelayOptions): Relay => {
  const js = jetstream(nc);
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  let failures = 0;
  let retryAt = 0;
  let stopped = false;

  const publishBatch = async (): Promise<number> => {
    const { events, refs } = await store.unpublished(batchSize);
    if (events.length === 0) return 0;
    // Fire every publish before awaiting any PubAck: one round trip per batch, not per event.
    const envelopes = events.map(({ position: _position, ...envelope }) => envelope);
    const acks = envelopes.map(async (envelope) =>
      js.publish(names.eventSubject(categoryOf(envelope.stream), envelope.type), JSON.stringify(envelope), {
        msgID: envelope.id,
        timeout: publishTimeoutMs,
      }),
    );
    const settled = await Promise.allSettled(acks);
    const refused: Array<{ envelope: Envelope; reason: unknown }> = [];
    for (const [index, result] of settled.entries()) {
      if (result.status === "fulfilled") continue;
      // Trouble that may pass (a timeout, a lost connection) retries the batch; JetStream drops the repeats.
      if (!isRefusedForGood(result.reason)) throw result.reason;
      refused.push({ envelope: envelopes[index] as Envelope, reason: result.reason });
    }
    // An event the bus will never carry must not hold back the events behind it: it goes to the dead letters.
    for (const { envelope, reason } of refused) await quarantine(envelope, reason);
    await store.markPublished(refs);
    return events.length;
  };

  const quarantine = async (envelope: Envelope, error: unknown) => {
    const text = JSON.stringify(envelope);
    const reason = `the bus refused the event: ${error instanceof Error ? error.message : String(error)}`;
    const h = headers();
    h.set(DEAD_REASON_HEADER, reason.slice(0, 1_000));
    const letter = {
      reason,
      consumer: "outbox-relay",
      subject: names.eventSubject(categoryOf(envelope.stream), envelope.type),
      event: { id: envelope.id, type: envelope.type, stream: envelope.stream, version: envelope.version },
      bytes: Buffer.byteLength(text),
      // Only its head: the whole of it is what the bus refused; the event store keeps it all.
      payload: text.slice(0, 4_096),
    };
    await js.publish(names.deadLetterSubject(service), JSON.stringify(letter), {
      headers: h,
      msgID: `outbox-relay:${envelope.id}`,
      timeout: publishTimeoutMs,
    });
    log.error(
      { eventId: envelope.id, type: envelope.type, stream: envelope.stream, bytes: letter.bytes, err: error },
      "outbox relay quarantined an event the bus refused; it is in the dead letters, the events behind it go on",
    );
  };

  const publishAll = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const published = await publishBatch();
      if (published === 0) return total;
      total += published;
    }
  };

  /** Runs one drain after the one in progress; callers arriving before it starts share it. */
  const schedule = (): Promise<number> => {
    if (queued) return queued;
    const previous = running;
    let next: Promise<number> | undefined;
    next = (async () => {
      await previous?.catch(() => undefined);
      queued = undefined;
      running = next;
      try {
        const published = await publishAll();
        failures = 0;
        retryAt = 0;
        return published;
      } catch (error) {
        failures++;
        const waitMs = Math.min(maxBackoffMs, intervalMs * 2 ** failures);
        retryAt = Date.now() + waitMs;
        log.warn({ err: error, failures, retryInMs: waitMs }, "outbox relay failed to publish; will retry");
        throw error;
      } finally {
        if (running === next) running = undefined;
      }
    })();
    queued = next;
    return next;
  };

  const wake = () => {
    if (stopped || Date.now() < retryAt) return;
    schedule().catch(() => undefined); // logged in schedule; the outbox still holds the events
  };

  const tick = () => {
    wake();
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  let timer = setTimeout(tick, 0);
  timer.unref();

  return {
    notify: wake,
    drain: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([running, queued]);
    },
  };
};
