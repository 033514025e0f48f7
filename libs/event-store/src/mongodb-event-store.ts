import type { Envelope, NewEvent } from "@reelgate/contracts";
import { type Collection, type Filter, MongoClient } from "mongodb";
import {
  type CommitRecord,
  checkEventSizes,
  outboxBatchOf,
  pagedEvents,
  streamEventsOf,
  streamTypeOf,
  toEnvelopes,
} from "./commit.ts";
import { duplicateKeyOf, STREAM_SEQ_INDEX } from "./mongo-duplicate-key.ts";
import {
  type AppendOptions,
  type AppendResult,
  ConcurrencyError,
  type EventStore,
  type ReadAllOptions,
  type StoredEvent,
} from "./port.ts";

/** One document per commit (ARCHITECTURE.md): a multi-event append is atomic without transactions. */
interface CommitDocument {
  /** Global position, from the counter document. */
  _id: number;
  streamId: string;
  streamType: string;
  /** Dense per-stream commit counter: the optimistic-concurrency key. */
  seq: number;
  /** The stream's version after this commit. */
  version: number;
  commitId: string;
  events: Envelope[];
  recordedAt: Date;
  published: boolean;
}

const commitOfDocument = (commit: Pick<CommitDocument, "_id" | "events">): CommitRecord => ({
  position: commit._id,
  events: commit.events,
});

interface CounterDocument {
  _id: string;
  value: number;
}

export interface MongoEventStoreOptions {
  /** Defaults to the database named in the URL. */
  database?: string;
  /** Prefixes the `events` and `counters` collections, one pair per service (`ingress.events`). */
  collectionPrefix: string;
}

const ensureIndexes = (commits: Collection<CommitDocument>) =>
  commits.createIndexes([
    { key: { streamId: 1, seq: 1 }, name: STREAM_SEQ_INDEX, unique: true },
    { key: { commitId: 1 }, name: "commitId", unique: true },
    { key: { "events.id": 1 }, name: "events_id", unique: true },
    { key: { published: 1, _id: 1 }, name: "unpublished", partialFilterExpression: { published: false } },
    { key: { streamType: 1, _id: 1 }, name: "streamType_id" },
    // A hot stream is read from a cached version on: seek there instead of walking the whole stream.
    { key: { streamId: 1, version: 1 }, name: "streamId_version" },
  ]);

/**
 * The production store. Positions come from a counter, so they may have gaps (a failed insert
 * burns one) and, under concurrent writers, a higher position can become visible before a lower
 * one: `readAll({after})` is exact on a store nobody is writing to (replays), not a live tail.
 * Within one stream, positions follow seq, because the counter is taken after the head is read.
 */
export const openMongoEventStore = async (url: string, options: MongoEventStoreOptions): Promise<EventStore> => {
  const client = new MongoClient(url);
  await client.connect();
  const db = client.db(options.database);
  const commits = db.collection<CommitDocument>(`${options.collectionPrefix}events`);
  const counters = db.collection<CounterDocument>(`${options.collectionPrefix}counters`);
  try {
    await ensureIndexes(commits);
  } catch (error) {
    await client.close();
    throw error;
  }

  const headOf = async (stream: string) => {
    const head = await commits.findOne({ streamId: stream }, { sort: { seq: -1 }, projection: { seq: 1, version: 1 } });
    return { seq: head?.seq ?? 0, version: head?.version ?? 0 };
  };

  const nextPosition = async (): Promise<number> => {
    const takeOne = () =>
      counters.findOneAndUpdate({ _id: "events" }, { $inc: { value: 1 } }, { upsert: true, returnDocument: "after" });
    // Two first-ever upserts can race on the counter's _id; the loser's retry finds the document.
    const counter = await takeOne().catch((error: unknown) => {
      if (duplicateKeyOf(error)) return takeOne();
      throw error;
    });
    return counter!.value;
  };

  /** The first commit holding this commit id or one of these event ids: a repeated append. */
  const duplicateOf = async (commitId: string, events: NewEvent[]): Promise<AppendResult | undefined> => {
    const ids = events.map((event) => event.id);
    const first = await commits.findOne({ $or: [{ commitId }, { "events.id": { $in: ids } }] }, { sort: { _id: 1 } });
    return first ? { nextVersion: first.version, events: first.events, duplicate: true } : undefined;
  };

  const append = async (stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> => {
    const { expectedVersion } = options;
    // Concurrent inserts may land in any order here: an append cannot be made to wait for another's commit.
    if (options.afterCommitId !== undefined) throw new Error("the MongoDB event store does not chain appends");
    const commitId = options.commitId ?? events[0]?.id;
    checkEventSizes(stream, events);
    for (;;) {
      const head = await headOf(stream);
      if (expectedVersion !== "any" && expectedVersion !== head.version) {
        // A retried command carries the version it saw before its first append went through.
        const duplicate = commitId === undefined ? undefined : await duplicateOf(commitId, events);
        if (duplicate) return duplicate;
        throw new ConcurrencyError(stream, expectedVersion, head.version);
      }
      if (commitId === undefined) return { nextVersion: head.version, events: [], duplicate: false };
      const envelopes = toEnvelopes(stream, head.version, events);
      const nextVersion = head.version + envelopes.length;
      try {
        await commits.insertOne({
          _id: await nextPosition(),
          streamId: stream,
          streamType: streamTypeOf(stream),
          seq: head.seq + 1,
          version: nextVersion,
          commitId,
          events: envelopes,
          recordedAt: new Date(),
          published: false,
        });
        return { nextVersion, events: envelopes, duplicate: false };
      } catch (error) {
        const collision = duplicateKeyOf(error);
        if (!collision) throw error;
        // Which unique index reports first is the server's choice: look for a repeat before a conflict.
        const duplicate = await duplicateOf(commitId, events);
        if (duplicate) return duplicate;
        if (collision !== "streamSeq") throw error;
        if (expectedVersion !== "any")
          throw new ConcurrencyError(stream, expectedVersion, (await headOf(stream)).version);
        // "any" has no version to defend: take the new head and try again.
      }
    }
  };

  return {
    append,

    readStream: async (stream, afterVersion = 0, limit = Number.POSITIVE_INFINITY) => {
      // A commit holds at least one event, so `limit` commits always hold `limit` events when the stream has them.
      const found = await commits
        .find(
          { streamId: stream, version: { $gt: afterVersion } },
          { sort: { version: 1 }, projection: { events: 1 }, ...(Number.isFinite(limit) ? { limit } : {}) },
        )
        .toArray();
      return streamEventsOf(found.map(commitOfDocument), afterVersion, limit);
    },

    // Pages by _id instead of holding one cursor open, so a slow replay cannot outlive the cursor timeout.
    readAll: (options: ReadAllOptions = {}): AsyncIterable<StoredEvent> =>
      pagedEvents(options, async (cursor, batchSize, category) => {
        const filter: Filter<CommitDocument> = { _id: { $gt: cursor } };
        if (category !== undefined) filter.streamType = category;
        const page = await commits
          .find(filter, { sort: { _id: 1 }, limit: batchSize, projection: { events: 1 } })
          .toArray();
        return page.map(commitOfDocument);
      }),

    countAll: async (options = {}) => {
      const match: Filter<CommitDocument> = options.category === undefined ? {} : { streamType: options.category };
      const [total] = await commits
        .aggregate<{ n: number }>([{ $match: match }, { $group: { _id: null, n: { $sum: { $size: "$events" } } } }])
        .toArray();
      return total?.n ?? 0;
    },

    unpublished: async (limit) => {
      if (limit <= 0) return { events: [], refs: [] };
      const pending = await commits
        .find({ published: false }, { sort: { _id: 1 }, limit, projection: { events: 1 } })
        .toArray();
      return outboxBatchOf(pending.map(commitOfDocument), limit);
    },

    markPublished: async (refs) => {
      if (refs.length === 0) return;
      await commits.updateMany({ _id: { $in: refs.map(Number) } }, { $set: { published: true } });
    },

    close: () => client.close(),
  };
};
