import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { sqliteGroupCommit } from "../src/group-commit.ts";

const openTable = () => {
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
  return { db, insert: db.prepare("INSERT INTO t VALUES (?)"), keys: db.prepare("SELECT k FROM t ORDER BY k") };
};

describe("sqliteGroupCommit", () => {
  it("commits writes of one turn together and rolls a failing one back alone", async () => {
    const { db, insert, keys } = openTable();
    const { write } = sqliteGroupCommit(db);
    const outcomes = await Promise.allSettled([
      write(() => insert.run("a")),
      write(() => {
        insert.run("b");
        insert.run("a"); // violates the key: "b" must go too
      }),
      write(() => insert.run("c")),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(keys.all().map((row) => row.k)).toEqual(["a", "c"]);
    expect(db.isTransaction).toBe(false);
  });

  it("runs each write once when none fails, and a lone failing write rolls back alone", async () => {
    const { db, insert, keys } = openTable();
    const { write } = sqliteGroupCommit(db);
    let runs = 0;
    const counted = (key: string) => () => {
      runs++;
      return insert.run(key);
    };
    await Promise.all([write(counted("a")), write(counted("b")), write(counted("c"))]);
    expect(runs).toBe(3);
    await expect(
      write(() => {
        insert.run("d");
        insert.run("a");
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(keys.all().map((row) => row.k)).toEqual(["a", "b", "c"]);
    expect(db.isTransaction).toBe(false);
  });

  it("records a clean write's failure without running the batch again", async () => {
    const { db, insert, keys } = openTable();
    const { write } = sqliteGroupCommit(db);
    let runs = 0;
    const counted = (key: string) => () => {
      runs++;
      return insert.run(key);
    };
    await write(counted("a"));
    const outcomes = await Promise.allSettled([
      write(counted("b")),
      write(counted("a"), { clean: true }), // one statement that fails: SQLite undoes it alone
      write(counted("c")),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(runs).toBe(4);
    expect(keys.all().map((row) => row.k)).toEqual(["a", "b", "c"]);
  });

  it("tells each write that committed, right after the COMMIT and before any promise settles", async () => {
    const { db, insert, keys } = openTable();
    const { write } = sqliteGroupCommit(db);
    const seen: unknown[][] = [];
    const settled = (name: string) => () => seen.push([name, "settled"]);
    await Promise.allSettled([
      write(() => insert.run("a"), { committed: () => seen.push(["a", db.isTransaction, keys.all().length]) }).then(
        settled("a"),
      ),
      write(
        () => {
          insert.run("b");
          insert.run("a"); // rolled back: never told it committed
        },
        { committed: () => seen.push(["b"]) },
      ).catch(settled("b")),
      write(() => "c", { committed: (value) => seen.push([value, db.isTransaction]) }).then(settled("c")),
    ]);
    expect(seen).toEqual([
      ["a", false, 1],
      ["c", false],
      ["a", "settled"],
      ["b", "settled"],
      ["c", "settled"],
    ]);
  });

  it("commits what is queued when flushed before close", async () => {
    const { db, insert, keys } = openTable();
    const { write, flush } = sqliteGroupCommit(db);
    const written = write(() => insert.run("a"));
    flush();
    expect(keys.all()).toHaveLength(1);
    await written;
  });
});
