import type { Envelope, NewEvent } from "@reelgate/contracts";
import { openSqliteDatabase, sqliteDataVersion, sqliteGroupCommit } from "@reelgate/sqlite";
import {
  type CommitRecord,
  envelopesText,
  eventTexts,
  outboxBatchOf,
  pagedEvents,
  streamEventsOf,
  streamTypeOf,
  toEnvelopes,
} from "./commit.ts";
import {
  type AppendOptions,
  type AppendResult,
  ConcurrencyError,
  type EventStore,
  type OutboxBatch,
  type ReadAllOptions,
  type StoredEvent,
} from "./port.ts";

// One row per commit, as in MongoDB; event_ids makes an event id unique across the store.
// No AUTOINCREMENT: commits are never deleted, so max + 1 is already monotonic, and AUTOINCREMENT
// would add a sqlite_sequence write to every append (about a quarter of its cost).
const schema = `
  CREATE TABLE IF NOT EXISTS commits (
    position INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    version INTEGER NOT NULL,
    commit_id TEXT NOT NULL UNIQUE,
    stream_type TEXT NOT NULL,
    events TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0,
    UNIQUE (stream_id, seq)
  );
  CREATE INDEX IF NOT EXISTS commits_unpublished ON commits (position) WHERE published = 0;
  -- A category is read by position, skipping the others' commits: each service's store is nearly all one
  -- category (billing's accounts, storage's assets), so an index of its own saved those reads (the CLI's, the
  -- retention sweep's) little and cost every append one b-tree more. Dropped where an earlier version made it.
  DROP INDEX IF EXISTS commits_by_type;
  -- A hot stream is read from a cached version on: seek there instead of walking the whole stream.
  CREATE INDEX IF NOT EXISTS commits_stream_version ON commits (stream_id, version);
  CREATE TABLE IF NOT EXISTS event_ids (
    id TEXT PRIMARY KEY,
    commit_position INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

interface CommitRow {
  position: number;
  version: number;
  events: string;
}

const commitOfRow = (row: CommitRow): CommitRecord => ({
  position: row.position,
  events: JSON.parse(row.events) as Envelope[],
});

const SQLITE_CONSTRAINT = 19;

/** A UNIQUE or PRIMARY KEY violation on the named column (extended codes share the primary code's low byte). */
const isUniqueViolation = (error: unknown, on: string): boolean =>
  error instanceof Error &&
  ((error as { errcode?: number }).errcode ?? 0) % 256 === SQLITE_CONSTRAINT &&
  error.message.includes(on);

/**
 * The embedded store: one SQLite file per service, written by that service's process alone
 * (other connections may read, and write safely, but wait on each other's write lock).
 * Commit positions are dense and visible in commit order, so `readAll({after})` can tail it exactly.
 */
export const openSqliteEventStore = (path: string): EventStore => {
  const db = openSqliteDatabase(path);
  db.exec(schema);

  const { write, flush } = sqliteGroupCommit(db);
  const selectHead = db.prepare(
    "SELECT seq, version, commit_id FROM commits WHERE stream_id = ? ORDER BY seq DESC LIMIT 1",
  );
  const insertCommit = db.prepare(
    `INSERT INTO commits (stream_id, seq, version, commit_id, stream_type, events, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertEventId = db.prepare("INSERT INTO event_ids (id, commit_position) VALUES (?, ?)");
  const selectByCommitId = db.prepare("SELECT position, version, events FROM commits WHERE commit_id = ?");
  const selectByEventId = db.prepare(
    "SELECT c.position, c.version, c.events FROM event_ids e JOIN commits c ON c.position = e.commit_position WHERE e.id = ?",
  );
  const selectStream = db.prepare(
    "SELECT position, version, events FROM commits WHERE stream_id = ? AND version > ? ORDER BY version LIMIT ?",
  );
  // Without LIMIT when there is none: binding LIMIT -1 made this hot query about half again as slow.
  const selectWholeStream = db.prepare(
    "SELECT position, version, events FROM commits WHERE stream_id = ? AND version > ? ORDER BY version",
  );
  const selectAll = db.prepare(
    "SELECT position, version, events FROM commits WHERE position > ? ORDER BY position LIMIT ?",
  );
  const selectCategory = db.prepare(
    "SELECT position, version, events FROM commits WHERE stream_type = ? AND position > ? ORDER BY position LIMIT ?",
  );
  const countAll = db.prepare("SELECT COALESCE(SUM(json_array_length(events)), 0) AS n FROM commits");
  const countCategory = db.prepare(
    "SELECT COALESCE(SUM(json_array_length(events)), 0) AS n FROM commits WHERE stream_type = ?",
  );
  const selectUnpublished = db.prepare(
    "SELECT position, version, events FROM commits WHERE published = 0 ORDER BY position LIMIT ?",
  );
  const markOnePublished = db.prepare("UPDATE commits SET published = 1 WHERE position = ?");

  /**
   * Each stream's last version as this connection learnt it, with the `data_version` it holds for: trusted only
   * while that is still the connection's `data_version` (it moves when another connection commits, never for this
   * connection's own commits), so a cached aggregate asking what follows its version then costs no query. An append
   * learns its head under its own BEGIN IMMEDIATE, tagged with the version read there: no look after its commit is
   * needed, as any later commit of another connection moves the version and so drops the head. A stream with an
   * append in flight here is not recorded by reads until that append has settled.
   */
  const versions = sqliteDataVersion(db);
  const heads = new Map<string, { version: number; at: number }>();
  let headsAt = versions.current();
  const appending = new Map<string, number>();
  /** Learns whether another connection has committed since the last look (a `pread` of the WAL header, mostly). */
  const checkHeads = () => {
    headsAt = versions.current();
  };
  /**
   * For reads whose decision an append checks (`forAppend`): one look per event-loop turn. A commit of another
   * connection later in the turn is missed until the next turn; the append it would have changed fails on its
   * expected version (this store reads the head inside BEGIN IMMEDIATE).
   */
  let checkedThisTurn = false;
  const checkHeadsThisTurn = () => {
    if (checkedThisTurn) return;
    checkHeads();
    checkedThisTurn = true;
    setImmediate(() => {
      checkedThisTurn = false;
    });
  };
  const knowHead = (stream: string, version: number, at: number) => {
    if (heads.size >= 100_000) heads.clear();
    heads.set(stream, { version, at });
  };
  const knownHead = (stream: string) => {
    const head = heads.get(stream);
    return head !== undefined && head.at === headsAt ? head.version : undefined;
  };

  const headOf = (stream: string) => {
    const head = selectHead.get(stream) as { seq: number; version: number; commit_id: string } | undefined;
    return head ?? { seq: 0, version: 0, commit_id: undefined };
  };

  /** The commit that already holds this commit id or one of these event ids: a repeated append. */
  const duplicateOf = (commitId: string, events: NewEvent[]): AppendResult | undefined => {
    let row = selectByCommitId.get(commitId) as CommitRow | undefined;
    for (const event of events) row ??= selectByEventId.get(event.id) as CommitRow | undefined;
    if (!row) return undefined;
    return { nextVersion: row.version, events: JSON.parse(row.events) as Envelope[], duplicate: true };
  };

  const append = async (stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> => {
    const { expectedVersion } = options;
    const commitId = options.commitId ?? events[0]?.id;
    const texts = eventTexts(stream, events);
    if (commitId === undefined) {
      const { version } = headOf(stream);
      if (expectedVersion !== "any" && expectedVersion !== version) {
        throw new ConcurrencyError(stream, expectedVersion, version);
      }
      return { nextVersion: version, events: [], duplicate: false };
    }
    heads.delete(stream);
    appending.set(stream, (appending.get(stream) ?? 0) + 1);
    let versionInside = -1;
    let position = 0;
    try {
      const result = await write(() => {
        // Under BEGIN IMMEDIATE: every other connection's commit is before this one or after it.
        versionInside = versions.inTransaction();
        const head = headOf(stream);
        const moved =
          (expectedVersion !== "any" && expectedVersion !== head.version) ||
          (options.afterCommitId !== undefined && options.afterCommitId !== head.commit_id);
        if (moved) {
          // A retried command carries the version it saw before its first append went through.
          const duplicate = duplicateOf(commitId, events);
          if (duplicate) return duplicate;
          throw new ConcurrencyError(stream, expectedVersion, head.version);
        }
        const envelopes = toEnvelopes(stream, head.version, events);
        const nextVersion = head.version + envelopes.length;
        const { lastInsertRowid } = insertCommit.run(
          stream,
          head.seq + 1,
          nextVersion,
          commitId,
          streamTypeOf(stream),
          envelopesText(stream, head.version, texts),
          new Date().toISOString(),
        );
        for (const envelope of envelopes) insertEventId.run(envelope.id, lastInsertRowid);
        position = Number(lastInsertRowid);
        return { nextVersion, events: envelopes, duplicate: false };
      });
      // Committed. Appends settle in the order of their batch, which is position order: listeners hear
      // commits in the order the outbox holds them.
      if (!result.duplicate && committed.size > 0) {
        const commit = outboxBatchOf([{ position, events: result.events }], Number.POSITIVE_INFINITY);
        for (const listener of committed) {
          try {
            listener(commit);
          } catch {
            // A listener's trouble is not the append's: the commit is durable and waits in the outbox.
          }
        }
      }
      // The head as of this commit, for as long as no other connection commits after it.
      if (!result.duplicate && appending.get(stream) === 1) knowHead(stream, result.nextVersion, versionInside);
      return result;
    } catch (error) {
      // Settled after COMMIT: the first append, if it was in the same group, is visible now.
      if (isUniqueViolation(error, "commits.commit_id") || isUniqueViolation(error, "event_ids.id")) {
        const duplicate = duplicateOf(commitId, events);
        if (duplicate) return duplicate;
      }
      // Only reachable if another connection wrote in between, which BEGIN IMMEDIATE already excludes.
      if (isUniqueViolation(error, "commits.stream_id")) {
        throw new ConcurrencyError(stream, expectedVersion, headOf(stream).version);
      }
      throw error;
    } finally {
      const left = (appending.get(stream) ?? 1) - 1;
      if (left > 0) appending.set(stream, left);
      else appending.delete(stream);
    }
  };

  const committed = new Set<(commit: OutboxBatch) => void>();
  let closed = false;

  return {
    // Each append reads the head and writes in one synchronous step: appends never interleave. Those of one
    // turn share the group commit's transaction, in call order.
    append,
    chainsAppends: true,

    readStream: async (stream, afterVersion = 0, limit = Number.POSITIVE_INFINITY, options = {}) => {
      if (options.forAppend) checkHeadsThisTurn();
      else checkHeads();
      if (knownHead(stream) === afterVersion) return [];
      // A commit holds at least one event, so `limit` commits always hold `limit` events when the stream has them.
      const rows = (Number.isFinite(limit)
        ? selectStream.all(stream, afterVersion, limit)
        : selectWholeStream.all(stream, afterVersion)) as unknown as CommitRow[];
      // Read to its end: the last row is the head (none: nothing follows afterVersion).
      if (!Number.isFinite(limit) && !appending.has(stream))
        knowHead(stream, rows.length > 0 ? rows.at(-1)!.version : afterVersion, headsAt);
      return streamEventsOf(rows.map(commitOfRow), afterVersion, limit);
    },

    readAll: (options: ReadAllOptions = {}): AsyncIterable<StoredEvent> =>
      pagedEvents(options, (cursor, batchSize, category) =>
        (
          (category === undefined
            ? selectAll.all(cursor, batchSize)
            : selectCategory.all(category, cursor, batchSize)) as unknown as CommitRow[]
        ).map(commitOfRow),
      ),

    countAll: async (options = {}) => {
      const row = (options.category === undefined ? countAll.get() : countCategory.get(options.category)) as {
        n: number;
      };
      return row.n;
    },

    unpublished: async (limit) => {
      if (limit <= 0) return { events: [], refs: [] };
      const rows = selectUnpublished.all(limit) as unknown as CommitRow[];
      return outboxBatchOf(rows.map(commitOfRow), limit);
    },

    markPublished: async (refs) => {
      if (refs.length === 0) return;
      await write(() => {
        for (const ref of refs) markOnePublished.run(Number(ref));
      });
    },

    onCommitted: (listener) => {
      committed.add(listener);
      return () => committed.delete(listener);
    },

    close: async () => {
      if (closed) return;
      closed = true;
      flush();
      db.close();
    },
  };
};
