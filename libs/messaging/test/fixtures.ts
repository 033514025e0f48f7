import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, type StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Envelope, type NatsNames, natsNames } from "@reelgate/contracts";
import { uniqueNamespace } from "@reelgate/testkit";
import { pino } from "pino";
import { connectNats } from "../src/connect.ts";
import type { Outbox } from "../src/relay.ts";
import { ensureStreams } from "../src/streams.ts";

export const silentLog = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** A real contract event: `JobProgressed` on `job-{videoId}`. */
export const jobProgressed = (videoId: string, version: number, progress = version): Envelope => ({
  id: randomUUID(),
  type: "JobProgressed",
  schemaVersion: 1,
  data: { videoId, progress },
  stream: `job-${videoId}`,
  version,
  occurredAt: new Date().toISOString(),
  correlationId: videoId,
  causationId: null,
  accountId: null,
});

/** The outbox half of the event store, in memory; `failMarkPublished` makes the next N calls throw. */
export const memoryOutbox = () => {
  const events: Array<Envelope & { position: number; published: boolean }> = [];
  let failMarkPublished = 0;
  const outbox: Outbox & {
    append(...envelopes: Envelope[]): void;
    failNextMarkPublished(times?: number): void;
    pending(): number;
  } = {
    append(...envelopes) {
      for (const envelope of envelopes) events.push({ ...envelope, position: events.length + 1, published: false });
    },
    failNextMarkPublished(times = 1) {
      failMarkPublished = times;
    },
    pending: () => events.filter((event) => !event.published).length,
    async unpublished(limit) {
      const batch = events.filter((event) => !event.published).slice(0, limit);
      return { events: batch.map(({ published: _published, ...event }) => event), refs: batch.map((e) => e.id) };
    },
    async markPublished(refs) {
      if (failMarkPublished > 0) {
        failMarkPublished--;
        throw new Error("simulated crash before markPublished");
      }
      for (const event of events) if (refs.includes(event.id)) event.published = true;
    },
  };
  return outbox;
};

/** A connection and freshly ensured streams under a namespace no other test uses. */
export const openBus = async (url: string): Promise<{ nc: NatsConnection; names: NatsNames }> => {
  const nc = await connectNats({ url, name: "messaging-test", log: silentLog });
  const names = natsNames(uniqueNamespace("msg"));
  await ensureStreams(nc, names);
  return { nc, names };
};

export const publishEvent = (nc: NatsConnection, names: NatsNames, event: Envelope) =>
  jetstream(nc).publish(names.eventSubject("job", event.type), JSON.stringify(event));

export const streamMessages = async (nc: NatsConnection, stream: string): Promise<StoredMsg[]> => {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  const messages: StoredMsg[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message) messages.push(message);
  }
  return messages;
};

export const messageCount = async (nc: NatsConnection, stream: string) =>
  (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
