import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, expect, it } from "vitest";
import { openDocumentStore, openSqliteDocumentStore } from "../src/index.ts";
import { describeDocumentStoreContract } from "./contract-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-documents-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeDocumentStoreContract(
  "SQLite",
  async () => openSqliteDocumentStore(join(dir, "contract.db")),
  async (collection) => sqliteIndexes(join(dir, "contract.db"), collection),
);

/** The collection's indexes as the contract suite compares them: columns without the `ix_` and the trailing id. */
const sqliteIndexes = (path: string, collection: string) => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const quoted = `"${collection.replaceAll('"', '""')}"`;
    return db
      .prepare(`PRAGMA index_list(${quoted})`)
      .all()
      .filter((index) => index.origin === "c")
      .map((index) =>
        db
          .prepare(`PRAGMA index_info("${String(index.name).replaceAll('"', '""')}")`)
          .all()
          .map((column) => String(column.name))
          .filter((column) => column !== "id")
          .map((column) => column.replace(/^ix_/, "")),
      )
      .sort((a, b) => a.join(",").localeCompare(b.join(",")));
  } finally {
    db.close();
  }
};

it("sets only the indexed columns an update changes; a row rewritten behind its back with other indexed values is a conflict, never a stale index entry", async () => {
  const path = join(dir, "aba.db");
  type Row = { id: string; account: string; pending: number | null; n: number };
  const store = openSqliteDocumentStore(path);
  const rows = await store.collection<Row>("rows", {
    fields: ["account", "pending"],
    compound: [["account", "pending"]],
  });
  await rows.put({ id: "r1", account: "a", pending: 5, n: 0 }, null);
  // Another connection deletes the row and writes a new one, which gets the same revision (1) back, between
  // the update's read and its write: the update must read again rather than keep "a" in the index.
  const other = new DatabaseSync(path);
  let calls = 0;
  await rows.update("r1", (current) => {
    calls++;
    if (calls === 1) {
      other.exec("DELETE FROM rows WHERE id = 'r1'");
      other
        .prepare('INSERT INTO rows (id, rev, doc, "ix_account", "ix_pending") VALUES (?, 1, ?, ?, ?)')
        .run("r1", JSON.stringify({ id: "r1", account: "b", pending: 7, n: 0 }), "b", 7);
    }
    return current && { ...current, n: current.n + 1 };
  });
  other.close();
  expect(calls).toBe(2);
  expect(await rows.get("r1")).toEqual({ doc: { id: "r1", account: "b", pending: 7, n: 1 }, rev: 2 });
  expect(await rows.sum("pending", { account: "a" })).toBe(0);
  expect(await rows.sum("pending", { account: "b" })).toBe(7);
  await store.close();
});

it("adds and backfills the column of an index declared later", async () => {
  const path = join(dir, "later.db");
  const before = openSqliteDocumentStore(path);
  const first = await before.collection<{ id: string; status: string; done: boolean }>("tasks", { indexes: [] });
  await first.put({ id: "t1", status: "open", done: true }, null);
  await first.put({ id: "t2", status: "done", done: false }, null);
  await before.close();
  const after = openSqliteDocumentStore(path);
  const tasks = await after.collection<{ id: string; status: string; done: boolean }>("tasks", {
    indexes: ["status", "done"],
  });
  expect((await tasks.find({ where: { status: "open", done: true } })).map((t) => t.id)).toEqual(["t1"]);
  await after.close();
});

it("opens the service's own SQLite file when no MongoDB URL is given", async () => {
  const store = await openDocumentStore({ dataDir: join(dir, "nested", "data"), service: "ingress" });
  const views = await store.collection<{ id: string }>("tasks", { indexes: [] });
  await views.put({ id: "t1" }, null);
  await store.close();
  const again = openSqliteDocumentStore(join(dir, "nested", "data", "ingress.views.db"));
  expect((await (await again.collection<{ id: string }>("tasks", { indexes: [] })).get("t1"))?.rev).toBe(1);
  await again.close();
});
