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
