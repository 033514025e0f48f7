import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openDocumentStore, openSqliteDocumentStore } from "../src/index.ts";
import { describeDocumentStoreContract } from "./contract-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-documents-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeDocumentStoreContract("SQLite", async () => openSqliteDocumentStore(join(dir, "contract.db")));

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

it("keeps index columns exact when an update sets only the changed ones and another writer moved the row", async () => {
  type Task = { id: string; status: string; score: number; done: boolean; note?: string };
  const path = join(dir, "partial.db");
  const mine = openSqliteDocumentStore(path);
  const theirs = openSqliteDocumentStore(path);
  const options = { indexes: ["status", "score", "done"] };
  const tasks = await mine.collection<Task>("tasks", options);
  const other = await theirs.collection<Task>("tasks", options);
  const ids = async (where: Record<string, string | number | boolean>) =>
    (await tasks.find({ where })).map((task) => task.id);

  await tasks.put({ id: "t1", status: "open", score: 1, done: false }, null);
  // Only the document and one column change; the others keep their index entries.
  await tasks.update("t1", (task) => task && { ...task, score: 2, note: "a" });
  expect(await ids({ status: "open", score: 2, done: false })).toEqual(["t1"]);
  expect(await ids({ score: 1 })).toEqual([]);

  // Read here at rev 1; meanwhile another connection deletes and recreates it (rev 1 again, other columns).
  await tasks.put({ id: "t2", status: "open", score: 5, done: false }, null);
  const read = await tasks.get("t2");
  await other.delete("t2");
  await other.put({ id: "t2", status: "done", score: 9, done: true }, null);
  expect(read?.rev).toBe(1);
  // My write at rev 1 succeeds (the revision matches) and must set every column, not only those I changed.
  await tasks.put({ ...read!.doc, note: "mine" }, 1);
  expect(await tasks.get("t2")).toEqual({
    doc: { id: "t2", status: "open", score: 5, done: false, note: "mine" },
    rev: 2,
  });
  expect(await ids({ status: "open", score: 5, done: false })).toEqual(["t2"]);
  expect(await ids({ status: "done" })).toEqual([]);
  expect(await ids({ score: 9 })).toEqual([]);
  await mine.close();
  await theirs.close();
});
