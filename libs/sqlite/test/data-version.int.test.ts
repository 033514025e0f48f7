import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { commitFromAnotherProcess, countingPragmas } from "@reelgate/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteDataVersion } from "../src/data-version.ts";
import { openSqliteDatabase } from "../src/open.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-data-version-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const twoConnections = () => {
  const path = join(dir, `db-${n++}.db`);
  const mine = openSqliteDatabase(path);
  mine.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  const other = openSqliteDatabase(path);
  const counting = countingPragmas(mine);
  const truth = mine.prepare("PRAGMA data_version");
  const pragma = () => Number(truth.get()?.data_version);
  return { path, mine, other, versions: sqliteDataVersion(counting.db), pragma, pragmas: counting.pragmas };
};

describe("sqliteDataVersion", () => {
  it("answers what the pragma answers after every commit, its own or another connection's, and no pragma while none commits", () => {
    const { mine, other, versions, pragma, pragmas } = twoConnections();
    versions.current();
    const start = pragmas();
    const idle = versions.current();
    for (let i = 0; i < 1000; i++) expect(versions.current()).toBe(idle);
    expect(pragmas()).toBe(start);
    for (let i = 0; i < 50; i++) {
      const before = versions.current();
      other.exec(`INSERT INTO t (v) VALUES ('other ${i}')`);
      const moved = versions.current();
      expect(moved).not.toBe(before);
      expect(moved).toBe(pragma());
      mine.exec(`INSERT INTO t (v) VALUES ('mine ${i}')`);
      // Its own commit moves the header, not the version.
      expect(versions.current()).toBe(moved);
      expect(versions.current()).toBe(pragma());
    }
    mine.close();
    other.close();
  });

  it("sees another process's commit, and commits after the WAL was checkpointed and restarted", () => {
    const { path, mine, other, versions, pragma } = twoConnections();
    for (let i = 0; i < 3; i++) {
      const before = versions.current();
      commitFromAnotherProcess(path, `INSERT INTO t (v) VALUES ('process ${i}')`);
      expect(versions.current()).not.toBe(before);
      expect(versions.current()).toBe(pragma());
    }
    other.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    for (let i = 0; i < 3; i++) {
      const before = versions.current();
      other.exec(`INSERT INTO t (v) VALUES ('after restart ${i}')`);
      expect(versions.current()).not.toBe(before);
    }
    const before = versions.current();
    commitFromAnotherProcess(path, "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t (v) VALUES ('process again')");
    expect(versions.current()).not.toBe(before);
    expect(versions.current()).toBe(pragma());
    mine.close();
    other.close();
  });

  it("runs the pragma every time where there is no WAL-index file", () => {
    const memory = countingPragmas(new DatabaseSync(":memory:"));
    const versions = sqliteDataVersion(memory.db);
    for (let i = 0; i < 10; i++) versions.current();
    expect(memory.pragmas()).toBe(10);
  });
});
