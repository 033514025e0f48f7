import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqliteDatabase } from "@reelgate/sqlite";
import { commitFromAnotherProcess, countingPragmas } from "@reelgate/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteReadCache } from "../src/read-cache.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-wal-header-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const twoConnections = () => {
  const path = join(dir, `db-${n++}.db`);
  const mine = openSqliteDatabase(path);
  mine.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  const other = openSqliteDatabase(path);
  const counting = countingPragmas(mine);
  const cache = sqliteReadCache(counting.db);
  return { path, mine, other, cache, pragmas: counting.pragmas };
};

describe("the read cache's look at the WAL-index header", () => {
  it("sees every commit of another connection at the next look, and runs the pragma only after a commit", () => {
    const { mine, other, cache, pragmas } = twoConnections();
    cache.fresh();
    const start = pragmas();
    // Nobody writes: a thousand looks, no pragma.
    for (let i = 0; i < 1000; i++) expect(cache.fresh()).toBe(true);
    expect(pragmas()).toBe(start);
    for (let i = 0; i < 50; i++) {
      other.exec(`INSERT INTO t (v) VALUES ('other ${i}')`);
      expect(cache.fresh()).toBe(false);
      expect(cache.fresh()).toBe(true);
      // Its own commits move the header too: the pragma runs, and says no one else committed.
      mine.exec(`INSERT INTO t (v) VALUES ('mine ${i}')`);
      expect(cache.fresh()).toBe(true);
    }
    expect(pragmas() - start).toBe(100);
    mine.close();
    other.close();
  });

  it("sees a commit of another process, and one after the WAL was checkpointed and restarted", () => {
    const { path, mine, other, cache } = twoConnections();
    cache.fresh();
    for (let i = 0; i < 3; i++) {
      commitFromAnotherProcess(path, `INSERT INTO t (v) VALUES ('process ${i}')`);
      expect(cache.fresh()).toBe(false);
      expect(cache.fresh()).toBe(true);
    }
    // A checkpoint that empties the WAL, then commits that write it from its start again.
    other.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    cache.fresh();
    for (let i = 0; i < 3; i++) {
      other.exec(`INSERT INTO t (v) VALUES ('after restart ${i}')`);
      expect(cache.fresh()).toBe(false);
      expect(cache.fresh()).toBe(true);
    }
    commitFromAnotherProcess(path, "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t (v) VALUES ('process again')");
    expect(cache.fresh()).toBe(false);
    mine.close();
    other.close();
  });

  it("takes the shortcut on a file made just now, whose WAL-index file appears with the first look", () => {
    const path = join(dir, `new-${n++}.db`);
    const counting = countingPragmas(openSqliteDatabase(path));
    const cache = sqliteReadCache(counting.db);
    expect(cache.fresh()).toBe(false);
    cache.fresh();
    const start = counting.pragmas();
    for (let i = 0; i < 1000; i++) expect(cache.fresh()).toBe(true);
    expect(counting.pragmas()).toBe(start);
    const other = openSqliteDatabase(path);
    other.exec("CREATE TABLE t (v TEXT)");
    expect(cache.fresh()).toBe(false);
    other.close();
    counting.db.close();
  });

  it("falls back to the pragma alone where there is no WAL-index file", () => {
    const memory = countingPragmas(new DatabaseSync(":memory:"));
    const cache = sqliteReadCache(memory.db);
    cache.fresh();
    for (let i = 0; i < 10; i++) expect(cache.fresh()).toBe(true);
    expect(memory.pragmas()).toBe(11);
  });
});
