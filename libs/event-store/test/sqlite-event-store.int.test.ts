import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { NewEvent } from "@reelgate/contracts";
import { afterAll, describe, expect, it } from "vitest";
import { ConcurrencyError } from "../src/port.ts";
import { openSqliteEventStore } from "../src/sqlite-event-store.ts";
import { commitElsewhere } from "./commit-elsewhere.ts";
import { describeEventStoreContract } from "./contract-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-event-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every open() is a new connection to the same file, as a CLI replaying beside a running service would be.
describeEventStoreContract("SQLite", async () => openSqliteEventStore(join(dir, "events.db")));

/** An event with nothing in it but its id: the store does not look inside. */
const event = (id: string): NewEvent => ({
  id,
  type: "Tested",
  schemaVersion: 1,
  data: {},
  occurredAt: new Date().toISOString(),
  correlationId: id,
  causationId: null,
  accountId: null,
});

describe("SQLite stream heads known in memory", () => {
  it("answers a read past the head from memory, yet sees another connection's append at once", async () => {
    const path = join(dir, "heads.db");
    const mine = openSqliteEventStore(path);
    const other = openSqliteEventStore(path);
    await mine.append("task-h1", [event("h1-1")], { expectedVersion: 0 });
    expect(await mine.readStream("task-h1", 1)).toEqual([]);
    await other.append("task-h1", [event("h1-2")], { expectedVersion: 1 });
    expect((await mine.readStream("task-h1", 1)).map((e) => e.id)).toEqual(["h1-2"]);
    // Learnt by reading to the end, then moved by this connection's own append.
    expect(await mine.readStream("task-h1", 2)).toEqual([]);
    await mine.append("task-h1", [event("h1-3")], { expectedVersion: 2 });
    expect((await mine.readStream("task-h1", 2)).map((e) => e.id)).toEqual(["h1-3"]);
    expect(await mine.readStream("task-h1", 3)).toEqual([]);
    await Promise.all([mine.close(), other.close()]);
  });

  it("a read for an append checks for other connections' commits once per turn, and an append on what it missed fails", async () => {
    const path = join(dir, "heads-turn.db");
    const mine = openSqliteEventStore(path);
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    await mine.append("task-t1", [event("t1-1")], { expectedVersion: 0 });
    await nextTurn();
    // One turn: a read for an append, another connection's commit, then reads again.
    expect(await mine.readStream("task-t1", 1, undefined, { forAppend: true })).toEqual([]);
    commitElsewhere(path, "task-t1", 2, "t1-2");
    expect(await mine.readStream("task-t1", 1, undefined, { forAppend: true })).toEqual([]); // missed this turn
    expect((await mine.readStream("task-t1", 1)).map((e) => e.id)).toEqual(["t1-2"]); // an exact read sees it at once
    // A decision on the missed read appends with the version it read: refused, nothing written.
    await expect(mine.append("task-t1", [event("t1-x")], { expectedVersion: 1 })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    // The next turn's read for an append sees it.
    commitElsewhere(path, "task-t1", 3, "t1-3");
    await nextTurn();
    expect((await mine.readStream("task-t1", 1, undefined, { forAppend: true })).map((e) => e.id)).toEqual([
      "t1-2",
      "t1-3",
    ]);
    await mine.close();
  });

  it("drops a head learnt by an append as soon as another connection commits after it, within the same turn", async () => {
    const path = join(dir, "heads-after-append.db");
    const mine = openSqliteEventStore(path);
    await mine.append("task-a1", [event("a1-1")], { expectedVersion: 0 });
    await mine.append("task-a1", [event("a1-2")], { expectedVersion: 1 });
    // Known from the append: nothing follows version 2, and no query is needed to say so.
    expect(await mine.readStream("task-a1", 2)).toEqual([]);
    commitElsewhere(path, "task-a1", 3, "a1-3");
    expect((await mine.readStream("task-a1", 2)).map((e) => e.id)).toEqual(["a1-3"]);
    // Learnt again by that read, then moved once more by another connection, with no turn in between.
    expect(await mine.readStream("task-a1", 3)).toEqual([]);
    commitElsewhere(path, "task-a1", 4, "a1-4");
    expect((await mine.readStream("task-a1", 3)).map((e) => e.id)).toEqual(["a1-4"]);
    await mine.close();
  });

  it("does not take a read made while an append is in flight for the head", async () => {
    const store = openSqliteEventStore(join(dir, "heads-inflight.db"));
    await store.append("task-h2", [event("h2-1")], { expectedVersion: 0 });
    const appended = store.append("task-h2", [event("h2-2")], { expectedVersion: 1 });
    // Before the group commit runs: the read sees version 1 as the end, but must not remember it.
    expect(await store.readStream("task-h2", 1)).toEqual([]);
    await appended;
    expect((await store.readStream("task-h2", 1)).map((e) => e.id)).toEqual(["h2-2"]);
    await store.close();
  });
});

describe("SQLite commits table", () => {
  it("keeps no index by category (one made by an earlier version is dropped on open), and reads a category by position", async () => {
    const path = join(dir, "by-type.db");
    const first = openSqliteEventStore(path);
    await first.close();
    const earlier = new DatabaseSync(path);
    earlier.exec("CREATE INDEX commits_by_type ON commits (stream_type, position)");
    earlier.close();
    const store = openSqliteEventStore(path);
    const indexes = () => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'commits' AND sql IS NOT NULL")
          .all()
          .map((row) => row.name);
      } finally {
        db.close();
      }
    };
    expect(indexes().sort()).toEqual(["commits_stream_version", "commits_unpublished"]);
    await store.append("task-t1", [event("t1")], { expectedVersion: 0 });
    await store.append("account-a1", [event("a1")], { expectedVersion: 0 });
    await store.append("task-t2", [event("t2")], { expectedVersion: 0 });
    const read: string[] = [];
    for await (const event of store.readAll({ category: "task", batchSize: 1 })) read.push(event.id);
    expect(read).toEqual(["t1", "t2"]);
    expect(await store.countAll({ category: "account" })).toBe(1);
    await store.close();
  });
});

describe("SQLite appends chained in one turn", () => {
  it("commits an append after another only if that one is the stream's last commit", async () => {
    const store = openSqliteEventStore(join(dir, "chained.db"));
    expect(store.chainsAppends).toBe(true);
    // Queued together: the second on top of the first, in one transaction.
    const [first, second] = await Promise.all([
      store.append("task-ch", [event("ch-1")], { expectedVersion: 0, commitId: "one" }),
      store.append("task-ch", [event("ch-2")], { expectedVersion: 1, commitId: "two", afterCommitId: "one" }),
    ]);
    expect([first.nextVersion, second.nextVersion]).toEqual([1, 2]);
    // The right version, but on top of another commit than the one named: refused, nothing appended.
    await expect(
      store.append("task-ch", [event("ch-3")], { expectedVersion: 2, commitId: "three", afterCommitId: "one" }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    // The first of a chain failing takes the rest with it, even where the version would have matched.
    const results = await Promise.allSettled([
      store.append("task-ch", [event("ch-4")], { expectedVersion: 1, commitId: "four" }),
      store.append("task-ch", [event("ch-5")], { expectedVersion: 2, commitId: "five", afterCommitId: "four" }),
      store.append("task-ch", [event("ch-6")], { expectedVersion: 3, commitId: "six", afterCommitId: "five" }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect((await store.readStream("task-ch")).map((event) => event.id)).toEqual(["ch-1", "ch-2"]);
    await store.close();
  });
});
