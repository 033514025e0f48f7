import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatementSync } from "node:sqlite";
import { afterAll, describe, expect, it, vi } from "vitest";
import { type DocumentStore, openSqliteDocumentStore } from "../src/index.ts";
import { describeDocumentStoreContract } from "./contract-suite.ts";

interface Key {
  id: string;
  sha256: string;
  revoked: boolean;
}

const dir = mkdtempSync(join(tmpdir(), "reelgate-read-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The store with every collection opened with a read cache: the whole contract holds with it. */
const cachedEverywhere = (store: DocumentStore, size: number): DocumentStore => ({
  collection: (name, options) => store.collection(name, { ...options, cache: size }),
  close: () => store.close(),
});

describeDocumentStoreContract("SQLite with read cache", async () =>
  cachedEverywhere(openSqliteDocumentStore(join(dir, "contract-cached.db")), 1000),
);
// A cache far smaller than the suite's collections: evictions on every read.
describeDocumentStoreContract("SQLite with a 2-document read cache", async () =>
  cachedEverywhere(openSqliteDocumentStore(join(dir, "contract-tiny.db")), 2),
);

describe("SQLite read cache", () => {
  let n = 0;
  /** Two connections on one file (two stores, as two ingress replicas or the CLI would be), the first cached. */
  const twoConnections = async () => {
    const path = join(dir, `two-${n++}.db`);
    const one = openSqliteDocumentStore(path);
    const other = openSqliteDocumentStore(path);
    const cachedKeys = await one.collection<Key>("keys", { indexes: ["sha256"], cache: 100 });
    const otherKeys = await other.collection<Key>("keys", { indexes: ["sha256"] });
    return { cachedKeys, otherKeys, close: async () => Promise.all([one.close(), other.close()]) };
  };

  it("sees its own writes at once, by id and by indexed field", async () => {
    const { cachedKeys, close } = await twoConnections();
    await cachedKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
    expect(await cachedKeys.getBy("sha256", "h1")).toEqual({ id: "k1", sha256: "h1", revoked: false });
    expect((await cachedKeys.get("k1"))?.rev).toBe(1);
    await cachedKeys.update("k1", (key) => key && { ...key, revoked: true });
    expect(await cachedKeys.getBy("sha256", "h1")).toEqual({ id: "k1", sha256: "h1", revoked: true });
    expect(await cachedKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: true }, rev: 2 });
    // Another document taking the value: getBy answers the first in id order, as uncached.
    await cachedKeys.put({ id: "k0", sha256: "h1", revoked: false }, null);
    expect((await cachedKeys.getBy("sha256", "h1"))?.id).toBe("k0");
    await cachedKeys.delete("k0");
    expect((await cachedKeys.getBy("sha256", "h1"))?.id).toBe("k1");
    await cachedKeys.clear();
    expect(await cachedKeys.get("k1")).toBeUndefined();
    expect(await cachedKeys.getBy("sha256", "h1")).toBeUndefined();
    await close();
  });

  it("sees another connection's commit on the next read: a revocation holds at once", async () => {
    const { cachedKeys, otherKeys, close } = await twoConnections();
    await otherKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
    // Read twice: the second answer comes from the cache.
    expect((await cachedKeys.getBy("sha256", "h1"))?.revoked).toBe(false);
    expect((await cachedKeys.get("k1"))?.rev).toBe(1);
    expect((await cachedKeys.getBy("sha256", "h1"))?.revoked).toBe(false);
    await otherKeys.update("k1", (key) => key && { ...key, revoked: true });
    expect((await cachedKeys.getBy("sha256", "h1"))?.revoked).toBe(true);
    expect(await cachedKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: true }, rev: 2 });
    await otherKeys.delete("k1");
    expect(await cachedKeys.getBy("sha256", "h1")).toBeUndefined();
    expect(await cachedKeys.get("k1")).toBeUndefined();
    await close();
  });

  it("reads after a look made since the request began without looking again; the next look sees what came after", async () => {
    const { cachedKeys, otherKeys, close } = await twoConnections();
    await otherKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
    // The request's first read looks (and finds the other connection's commit); its second takes the same snapshot.
    expect((await cachedKeys.getBy("sha256", "h1"))?.revoked).toBe(false);
    expect((await cachedKeys.get("k1", { lookedSinceStart: true }))?.doc.revoked).toBe(false);
    await otherKeys.update("k1", (key) => key && { ...key, revoked: true });
    // Without a look the cache still answers the snapshot of the request's first read...
    expect((await cachedKeys.get("k1", { lookedSinceStart: true }))?.doc.revoked).toBe(false);
    // ...and the next request's first read looks, and sees the commit.
    expect((await cachedKeys.getBy("sha256", "h1"))?.revoked).toBe(true);
    expect(await cachedKeys.get("k1", { lookedSinceStart: true })).toEqual({
      doc: { id: "k1", sha256: "h1", revoked: true },
      rev: 2,
    });
    await close();
  });

  it("finds what another connection and its own writes changed, documents from the cache or not", async () => {
    const { cachedKeys, otherKeys, close } = await twoConnections();
    const page = async () => (await cachedKeys.find({ where: { sha256: "h" } })).map((key) => [key.id, key.revoked]);
    await otherKeys.put({ id: "k1", sha256: "h", revoked: false }, null);
    await otherKeys.put({ id: "k2", sha256: "h", revoked: false }, null);
    expect(await page()).toEqual([
      ["k1", false],
      ["k2", false],
    ]);
    expect(await page()).toEqual([
      ["k1", false],
      ["k2", false],
    ]);
    await otherKeys.update("k2", (key) => key && { ...key, revoked: true });
    expect(await page()).toEqual([
      ["k1", false],
      ["k2", true],
    ]);
    // Deleted and made anew elsewhere: the same id and revision 1, another document.
    await otherKeys.delete("k1");
    await otherKeys.put({ id: "k1", sha256: "h", revoked: true }, null);
    expect(await page()).toEqual([
      ["k1", true],
      ["k2", true],
    ]);
    await cachedKeys.update("k1", (key) => key && { ...key, revoked: false });
    expect(await page()).toEqual([
      ["k1", false],
      ["k2", true],
    ]);
    expect(await otherKeys.find({ where: { sha256: "h" } })).toEqual(await cachedKeys.find({ where: { sha256: "h" } }));
    await close();
  });

  it("keeps what it wrote: the next read needs no SELECT, and another connection's commit after it still shows", async () => {
    const { cachedKeys, otherKeys, close } = await twoConnections();
    const pointReads = () => selects.filter((sql) => sql.startsWith("SELECT rev, doc")).length;
    const selects: string[] = [];
    const run = StatementSync.prototype.get;
    const spy = vi.spyOn(StatementSync.prototype, "get").mockImplementation(function (
      this: StatementSync,
      ...params: Parameters<StatementSync["get"]>
    ) {
      selects.push(this.sourceSQL);
      return run.apply(this, params);
    });
    try {
      // The first look finds the other connection's commit (it made its table) and drops everything: look once.
      expect(await cachedKeys.get("k0")).toBeUndefined();
      selects.length = 0;
      await cachedKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
      expect(await cachedKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: false }, rev: 1 });
      await cachedKeys.update("k1", (key) => key && { ...key, revoked: true });
      const read = await cachedKeys.get("k1");
      expect(read).toEqual({ doc: { id: "k1", sha256: "h1", revoked: true }, rev: 2 });
      expect(Object.isFrozen(read?.doc)).toBe(true);
      expect(pointReads()).toBe(0);
      await otherKeys.update("k1", (key) => key && { ...key, revoked: false });
      expect(await cachedKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: false }, rev: 3 });
      // A write that conflicts leaves the committed document in place.
      await expect(cachedKeys.put({ id: "k1", sha256: "h1", revoked: true }, 2)).rejects.toThrow(/expected rev 2/);
      expect(await cachedKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: false }, rev: 3 });
    } finally {
      spy.mockRestore();
      await close();
    }
  });

  it("keeps what it read when a write of its own conflicts and changes nothing", async () => {
    const { cachedKeys, otherKeys, close } = await twoConnections();
    await cachedKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
    expect((await cachedKeys.get("k1"))?.rev).toBe(1);
    await expect(cachedKeys.put({ id: "k1", sha256: "h1", revoked: true }, 7)).rejects.toThrow(/expected rev 7/);
    expect(await cachedKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: false }, rev: 1 });
    // And the other connection agrees.
    expect(await otherKeys.get("k1")).toEqual({ doc: { id: "k1", sha256: "h1", revoked: false }, rev: 1 });
    await close();
  });

  it("hands out frozen documents, so no reader changes what the next one reads", async () => {
    const { cachedKeys, close } = await twoConnections();
    await cachedKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
    const read = await cachedKeys.get("k1");
    expect(Object.isFrozen(read?.doc)).toBe(true);
    expect(() => {
      (read!.doc as { revoked: boolean }).revoked = true;
    }).toThrow(TypeError);
    expect((await cachedKeys.get("k1"))?.doc.revoked).toBe(false);
    await close();
  });

  it("leaves collections opened without a cache as they were: fresh, unfrozen documents", async () => {
    const { otherKeys, close } = await twoConnections();
    await otherKeys.put({ id: "k1", sha256: "h1", revoked: false }, null);
    const first = await otherKeys.get("k1");
    expect(Object.isFrozen(first?.doc)).toBe(false);
    expect(await otherKeys.get("k1")).not.toBe(first);
    await close();
  });
});
