import type { DatabaseSync } from "node:sqlite";
import { sqliteDataVersion } from "@reelgate/sqlite";
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
 *
 * `fresh()` asks through `sqliteDataVersion` (libs/sqlite), which reads the WAL-index header first and runs the
 * pragma only when the header moved: reads of a connection that no one else writes to, however often, pay no
 * pragma.
 */
export const sqliteReadCache = (db: DatabaseSync) => {
  const version = sqliteDataVersion(db);
  const maps = new Set<{ clear(): void }>();
  let seen: number | undefined;
  return {
    /** False when another connection committed since the last look, and everything was dropped. */
    fresh(): boolean {
      const now = version.current();
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
