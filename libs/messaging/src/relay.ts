import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { categoryOf, type Envelope, type NatsNames } from "@reelgate/contracts";
import type { Logger } from "pino";

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
}

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
    const acks = events.map(({ position: _position, ...envelope }) =>
      js.publish(names.eventSubject(categoryOf(envelope.stream), envelope.type), JSON.stringify(envelope), {
        msgID: envelope.id,
        timeout: publishTimeoutMs,
      }),
    );
    const settled = await Promise.allSettled(acks);
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    await store.markPublished(refs);
    return events.length;
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
