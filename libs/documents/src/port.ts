/** A document together with the revision a compare-and-set write must name. */
export interface Revisioned<T> {
  doc: T;
  rev: number;
}

/** What an indexed field may hold: the values both adapters compare and sort the same way. */
export type FieldValue = string | number | boolean | null;

export interface FindQuery {
  /** Equality on indexed fields; `null` matches a null or missing field. */
  where?: Record<string, FieldValue>;
  /**
   * Only documents whose id starts with this: a range of the primary key, so documents keyed `{owner}:{item}` are
   * read by owner with no index of their own. Compared as the ids are (by code unit; keep ids ASCII).
   */
  idPrefix?: string;
  /** Defaults to id ascending. Ties on the field are broken by id, in the same direction. */
  orderBy?: { field: string; direction: "asc" | "desc" };
  /** Keyset cursor: the order field's value and the id of the last document of the previous page. */
  after?: { value: FieldValue; id: string };
  limit?: number;
}

/** How a cached read may answer (adapters without a read cache ignore it). */
export interface ReadOptions {
  /**
   * A read of this store's cache already looked for other connections' commits after the caller's request began
   * (its API key's lookup, say): the cache is known fresh enough for this read, which skips its own look. The
   * request's reads then see one snapshot, no older than its start.
   */
  lookedSinceStart?: boolean;
}

export interface Collection<T extends { id: string }> {
  get(id: string, options?: ReadOptions): Promise<Revisioned<T> | undefined>;
  /**
   * The document whose indexed `field` equals `value` (`null`: null or missing), the first in id order if
   * several do: a point read by a field that identifies a document (a key's hash, say), one indexed lookup.
   */
  getBy(field: string, value: FieldValue): Promise<T | undefined>;
  /** Compare-and-set: expectedRev null = must not exist yet. Returns the new rev. Throws RevisionConflict. */
  put(doc: T, expectedRev: number | null): Promise<number>;
  /**
   * Read, apply fn, CAS write; retries on conflict (bounded), so fn must be pure: it may run more than once.
   * fn returning undefined = no change (no write). Returns the resulting doc.
   */
  update(id: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  /** Equality filters on indexed fields, keyset pagination on (orderBy.field, id). */
  find(query: FindQuery): Promise<T[]>;
  /** Sum of a numeric indexed field over documents matching `where` (0 when none); nulls are skipped, so a compound index ending in the field reads only the non-null entries. */
  sum(field: string, where: Record<string, FieldValue>): Promise<number>;
  count(where?: Record<string, FieldValue>): Promise<number>;
  /** Every document, in id order, in batches (for rebuild/verify). */
  all(): AsyncIterable<T>;
  /** Drop every document (for rebuilds). */
  clear(): Promise<void>;
}

export interface CollectionOptions {
  /** Top-level fields that `where`, `orderBy`, `sum` and `getBy` may name, each with a (field, id) index of its own. */
  indexes?: string[];
  /**
   * Fields those queries may name too, with no index of their own: a field only compound indexes serve (every
   * single-field index is one more b-tree written on each put). A query no index serves scans the collection.
   */
  fields?: string[];
  /** Multi-field indexes, each of declared fields (`indexes` or `fields`), in order. */
  compound?: string[][];
  /**
   * Compound indexes like `compound`'s that hold only the documents whose last field is not null: for a `sum` of
   * that field (which skips nulls), so a document whose field is null (most of them, say) costs the index no
   * write. SQLite makes a partial index; MongoDB a full one (its planner would not take a partial one for the
   * sum's `$ne: null`), which answers the same.
   */
  partial?: string[][];
  /**
   * Point reads (`get`, `getBy`) answered from memory, up to this many documents each, and `find` taking the
   * documents it matched from there: for collections read far more often than written (API keys, the videos
   * clients poll and list). Exact: the SQLite adapter forgets what it
   * writes and drops everything once another connection has committed (`PRAGMA data_version`), so a read
   * never misses a write that finished before it. Documents so read are frozen and shared between readers:
   * a caller copies before it changes one. The MongoDB adapter keeps no cache (it ignores this). The first
   * opening of a collection decides.
   */
  cache?: number;
}

export interface DocumentStore {
  /**
   * `indexes` and `fields`: top-level fields that `where`, `orderBy` and `sum` may name (`id` always may);
   * only `indexes` get an index each. `compound`: multi-field indexes for queries that filter on some fields
   * and sort or sum on another, e.g. `[["accountId", "createdAt"]]`. The adapter keeps exactly the declared
   * indexes: one it made for an earlier declaration is dropped when the collection is opened without it.
   */
  collection<T extends { id: string }>(name: string, options: CollectionOptions): Promise<Collection<T>>;
  close(): Promise<void>;
}

/** The document moved on since the caller read it (or exists / does not exist against expectation): re-read and retry. */
export class RevisionConflict extends Error {
  override name = "RevisionConflict";
  readonly collection: string;
  readonly id: string;
  readonly expectedRev: number | null;

  constructor(collection: string, id: string, expectedRev: number | null) {
    const expected = expectedRev === null ? "no document" : `rev ${expectedRev}`;
    super(`${collection}/${id}: expected ${expected}, found otherwise`);
    this.collection = collection;
    this.id = id;
    this.expectedRev = expectedRev;
  }
}
