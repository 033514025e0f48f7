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

/**
 * The read cache of one SQLite connection's collections, kept exact two ways: a collection forgets a document
 * when it writes it (it knows the keys it writes), and every collection forgets everything as soon as another
 * connection has committed to the file (the CLI, another replica, another store in this process), which
 * `PRAGMA data_version` tells: it changes on another connection's commit, never on this one's. `fresh()` runs
 * before every cached read, so a read never answers from before a commit that finished before it began; a
 * query that takes documents from the cache runs between two looks that agree.
 */
export const sqliteReadCache = (db: DatabaseSync) => {
  const version = db.prepare("PRAGMA data_version");
  const maps = new Set<LRUCache<string, object>>();
  let seen: unknown;
  return {
    /** False when another connection committed since the last look, and everything was dropped. */
    fresh(): boolean {
      const now = version.get()?.data_version;
      if (now === seen) return true;
      seen = now;
      for (const map of maps) map.clear();
      return false;
    },
    /** At most `max` entries; the least recently read or written goes first. */
    map<V extends object>(max: number): LRUCache<string, V> {
      const map = new LRUCache<string, V>({ max: Math.max(1, max) });
      maps.add(map as unknown as LRUCache<string, object>);
      return map;
    },
  };
};

export type SqliteReadCache = ReturnType<typeof sqliteReadCache>;
