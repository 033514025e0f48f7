import { openSync, readSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import { LRUCache } from "lru-cache";

/** Freezes a parsed JSON value all the way down: a cached document is shared by every reader. */
export const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
};

/** The first copy of the WAL-index header (sqlite.org/walformat.html §2.2.1): 48 bytes at the start of `-shm`. */
const HEADER_BYTES = 48;

/**
 * A look at the WAL-index header in the database's `-shm` file, which every connection in WAL mode (every
 * one here: `openSqliteDatabase`) rewrites on each commit, with a transaction counter (`iChange`) that only
 * grows, and SQLite reads through shared memory: the page the kernel gives `pread` is the one SQLite maps.
 * Reading it is one `pread` (~0.8 µs of CPU here) where `PRAGMA data_version` begins and ends a read
 * transaction (two `fcntl` locks, ~2.8 µs). Header bytes unchanged since a look means no connection
 * committed since that look. Undefined when the database is not a WAL file (in memory, say): then no shortcut.
 *
 * The descriptor stays open for the life of the process: closing any descriptor of a file drops every POSIX
 * lock this process holds on it, SQLite's own locks on `-shm` included (the reason SQLite itself never closes
 * one while a connection to the file is open). One per store opened.
 */
const walIndexHeader = (db: DatabaseSync) => {
  const path = db.location();
  if (!path || db.prepare("PRAGMA journal_mode").get()?.journal_mode !== "wal") return undefined;
  // The file appears with the first transaction in WAL mode (the first pragma at the latest): opened then.
  let fd: number | undefined;
  let attempts = 0;
  const opened = () => {
    if (fd === undefined && attempts < 3) {
      attempts++;
      try {
        fd = openSync(`${path}-shm`, "r");
      } catch {
        fd = undefined;
      }
    }
    return fd;
  };
  const now = Buffer.alloc(HEADER_BYTES);
  const marked = Buffer.alloc(HEADER_BYTES);
  /** Whether `now` holds a whole header, read by the last `unchanged()`. */
  let read = false;
  let hasMark = false;
  return {
    /** Reads the header; true when it is byte for byte the one of the last `mark()`. */
    unchanged(): boolean {
      const file = opened();
      try {
        read = file !== undefined && readSync(file, now, 0, HEADER_BYTES, 0) === HEADER_BYTES;
      } catch {
        read = false;
      }
      return read && hasMark && now.equals(marked);
    },
    /** Remembers the header just read by `unchanged()`; after a failed read, remembers nothing. */
    mark() {
      hasMark = read;
      if (read) now.copy(marked);
    },
  };
};

/**
 * The read cache of one SQLite connection's collections, kept exact two ways: a collection forgets a document
 * when it writes it (it knows the keys it writes), and every collection forgets everything as soon as another
 * connection has committed to the file (the CLI, another replica, another store in this process), which
 * `PRAGMA data_version` tells: it changes on another connection's commit, never on this one's. `fresh()` runs
 * before every cached read, so a read never answers from before a commit that finished before it began; a
 * query that takes documents from the cache runs between two looks that agree.
 *
 * `fresh()` first reads the WAL-index header (above) and runs the pragma only when the header moved since
 * the look before the last pragma. Exact: the header is read before the pragma, so a commit that finished
 * before that read is in the pragma's answer, and one that finished after it changed the header, which the
 * next `fresh()` sees. Reads of a connection that no one else writes to, however often, pay no pragma.
 */
export const sqliteReadCache = (db: DatabaseSync) => {
  const version = db.prepare("PRAGMA data_version");
  const header = walIndexHeader(db);
  const maps = new Set<{ clear(): void }>();
  let seen: unknown;
  return {
    /** False when another connection committed since the last look, and everything was dropped. */
    fresh(): boolean {
      if (header) {
        if (header.unchanged()) return true;
        header.mark();
      }
      const now = version.get()?.data_version;
      if (now === seen) return true;
      seen = now;
      for (const map of maps) map.clear();
      return false;
    },
    /** At most `max` entries; the least recently read or written goes first. */
    map<V extends object, K extends {} = string>(max: number): LRUCache<K, V> {
      const map = new LRUCache<K, V>({ max: Math.max(1, max) });
      maps.add(map);
      return map;
    },
  };
};

export type SqliteReadCache = ReturnType<typeof sqliteReadCache>;
