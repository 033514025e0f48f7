import { jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { categoryOf, type Envelope, type NatsNames } from "@reelgate/contracts";
import type { Logger } from "pino";
import { DEAD_REASON_HEADER } from "./dead-letter.ts";
import { atTurnEnd } from "./turn-end.ts";

type OutboxBatch = { events: Array<Envelope & { position: number }>; refs: string[] };

/** The part of the event store port the relay needs (`EventStore` from @reelgate/event-store satisfies it). */
export interface Outbox {
  unpublished(limit: number): Promise<OutboxBatch>;
  markPublished(refs: string[]): Promise<void>;
  /** Commits as they become durable, in outbox order (see the event store port); without it, the outbox alone. */
  onCommitted?(listener: (commit: OutboxBatch) => void): () => void;
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
 *
 * A store that tells of its commits (`onCommitted`) is relayed from memory: the commits it appended are
 * published as they are told, without reading back what was just written. The outbox is read at start,
 * after any failure (everything told since is dropped then: the outbox holds it, in order) and every
 * `intervalMs` (what another writer of the same store appended); a commit told while the outbox is being
 * worked through waits there too, so no event of a stream overtakes an earlier one.
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

  /** Commits told by the store and not yet published, in commit order. */
  let told: OutboxBatch[] = [];
  /** The outbox must be read before anything told is published (start, a failure, the interval). */
  let outboxDue = true;
  const unlisten = store.onCommitted?.((commit) => {
    told.push(commit);
    wake();
  });

  /** Whole commits from memory, at least one, at most `batchSize` events when there are more. */
  const takeTold = (): OutboxBatch => {
    const batch: OutboxBatch = { events: [], refs: [] };
    while (told.length > 0) {
      const next = told[0]!;
      if (batch.refs.length > 0 && batch.events.length + next.events.length > batchSize) break;
      told.shift();
      batch.events.push(...next.events);
      batch.refs.push(...next.refs);
    }
    return batch;
  };

  const nextBatch = async (): Promise<OutboxBatch> => {
    if (!unlisten) return store.unpublished(batchSize);
    if (outboxDue) {
      // Everything told is in the outbox too (told once durable, not yet published), and the outbox hands
      // out its oldest commits first: a read that reaches the first told commit holds every unpublished
      // commit before it, and what follows it was told. Then the relay goes on from memory; until then it
      // reads again. What was read is dropped from memory, so nothing is published twice.
      const first = told[0]?.events[0]?.position;
      const batch = await store.unpublished(batchSize);
      const last = batch.events.at(-1)?.position ?? Number.NEGATIVE_INFINITY;
      told = told.filter((commit) => (commit.events[0]?.position ?? 0) > last);
      if (batch.events.length === 0 || (first !== undefined && first <= last)) outboxDue = false;
      if (batch.events.length > 0) return batch;
    }
    return takeTold();
  };

  const publishBatch = async (): Promise<number> => {
    const { events, refs } = await nextBatch();
    if (events.length === 0) return 0;
    // Fire every publish before awaiting any PubAck: one round trip per batch, not per event; and at the
    // end of the turn, with the acks of the messages whose handling appended them (one socket write).
    const envelopes = events.map(({ position: _position, ...envelope }) => envelope);
    const publishEach = () =>
      envelopes.map(async (envelope) =>
        js.publish(names.eventSubject(categoryOf(envelope.stream), envelope.type), JSON.stringify(envelope), {
          msgID: envelope.id,
          timeout: publishTimeoutMs,
        }),
      );
    const settled = await new Promise<PromiseSettledResult<unknown>[]>((resolve) =>
      atTurnEnd(nc, () => resolve(Promise.allSettled(publishEach()))),
    );
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
        outboxDue = true;
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
    outboxDue = true;
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
      unlisten?.();
      clearTimeout(timer);
      await Promise.allSettled([running, queued]);
    },
  };
};
