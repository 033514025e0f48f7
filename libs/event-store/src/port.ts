import type { Envelope, NewEvent } from "@reelgate/contracts";

/** `expectedVersion`: the stream's current version the caller decided on (0 = the stream must not exist yet), or "any". */
export type ExpectedVersion = number | "any";

export interface AppendOptions {
  expectedVersion: ExpectedVersion;
  /**
   * Names this append. Appending the same commitId again appends nothing and returns the first
   * append's result with `duplicate: true`: a redelivered command is answered, not re-applied.
   * Defaults to the first event's id.
   */
  commitId?: string;
  /**
   * The commit the stream's last commit must be, besides `expectedVersion` (else a ConcurrencyError): an append
   * queued on top of another not committed yet (`chainsAppends`) commits only if that one did. Only a store
   * with `chainsAppends` takes it.
   */
  afterCommitId?: string;
}

export interface AppendResult {
  /** The stream's version after the append (for a duplicate: after the first append). */
  nextVersion: number;
  events: Envelope[];
  duplicate: boolean;
}

/** An event as read back from the store, with its place in the global order (for replays and the outbox). */
export interface StoredEvent extends Envelope {
  position: number;
}

export interface ReadAllOptions {
  /** Only streams of this category (`task`, `account`, ...). */
  category?: string;
  /** Start after this global position (exclusive). */
  after?: number;
  /** Events per batch the adapter fetches at a time. */
  batchSize?: number;
}

/** A batch of events the relay must still publish, in append order. `ref` is what `markPublished` takes back. */
export interface OutboxBatch {
  events: StoredEvent[];
  refs: string[];
}

export interface ReadStreamOptions {
  /**
   * The caller decides on what it reads and appends with the version it read as `expectedVersion`, so a
   * read that missed a commit is caught by the append (a ConcurrencyError: read again, decide again). The
   * store may then answer from what it knew at the start of this event-loop turn: the SQLite store checks
   * for other connections' commits once per turn instead of once per read. A decision to append nothing
   * is not checked by any append: it must be made again on an exact read (the aggregate repository does).
   */
  forAppend?: boolean;
}

export interface EventStore {
  append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Appends called in one event-loop turn commit in one transaction, in call order, and `afterCommitId` is
   * honoured: the SQLite store. A caller may then queue several appends to one stream at once, each on the
   * one before (the aggregate repository does, for commands waiting on one stream).
   */
  readonly chainsAppends?: boolean;
  /** Events of one stream in version order, starting after `afterVersion` (default 0), at most `limit` of them. */
  readStream(
    stream: string,
    afterVersion?: number,
    limit?: number,
    options?: ReadStreamOptions,
  ): Promise<StoredEvent[]>;
  /** Every event in global append order. */
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  /** Count of events `readAll` would yield (for progress bars). */
  countAll(options?: Pick<ReadAllOptions, "category">): Promise<number>;
  /** The oldest commits not yet published, at most `limit` events' worth of whole commits. */
  unpublished(limit: number): Promise<OutboxBatch>;
  markPublished(refs: string[]): Promise<void>;
  /**
   * Where a store that knows its commits tells of them: `listener` gets each commit this store appended,
   * as `unpublished` would hand it out, in commit (position) order, once it is durable. The relay then
   * publishes from memory instead of reading back what was just written; the outbox still holds every
   * commit until it is marked published. Returns what stops the telling. A store without it (MongoDB:
   * concurrent inserts settle in any order) is relayed from its outbox alone.
   */
  onCommitted?(listener: (commit: OutboxBatch) => void): () => void;
  close(): Promise<void>;
}

/** The stream moved on since the caller read it; re-read, re-decide, retry. */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
  // Plain fields, not parameter properties: Node strips types and cannot run those.
  readonly stream: string;
  readonly expectedVersion: ExpectedVersion;
  readonly actualVersion: number | undefined;
  constructor(stream: string, expectedVersion: ExpectedVersion, actualVersion: number | undefined) {
    super(`stream ${stream}: expected version ${expectedVersion}, found ${actualVersion ?? "a newer one"}`);
    this.stream = stream;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/**
 * The largest event the store accepts, as JSON: what NATS carries by default (1 MiB) less room for headers. An event
 * over it could be stored but never published, and would hold back the outbox behind it.
 */
export const MAX_EVENT_BYTES = 1_000_000;

/** An event too large for the bus: nothing was appended. The domain records a shorter one instead. */
export class EventTooLargeError extends Error {
  override name = "EventTooLargeError";
  readonly stream: string;
  readonly eventType: string;
  readonly bytes: number;
  readonly limit: number;
  constructor(stream: string, eventType: string, bytes: number, limit: number) {
    super(`stream ${stream}: a ${eventType} event of ${bytes} bytes is larger than the ${limit} bytes the bus carries`);
    this.stream = stream;
    this.eventType = eventType;
    this.bytes = bytes;
    this.limit = limit;
  }
}
