import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DocumentStore, type FieldValue, RevisionConflict } from "../src/port.ts";

interface Task {
  id: string;
  status: string;
  score?: number | null;
  archived: boolean;
  note?: string;
}
interface Counter {
  id: string;
  count: number;
}
interface Charge {
  id: string;
  account: string;
  amount: number;
  flagged: boolean;
}

/**
 * The indexes a collection has now, each as its fields in order without the trailing id (the id index itself
 * left out), sorted: how each adapter's test file shows what the adapter made.
 */
export type IndexesOf = (collection: string) => Promise<string[][]>;

/**
 * The behaviour every DocumentStore adapter must show; each adapter's test file runs it against a real store.
 * `open` may be called again for a second store on the same database (another process, a later start).
 * `indexesOf`, when given, lets the suite check which indexes the adapter keeps.
 */
export const describeDocumentStoreContract = (
  name: string,
  open: () => Promise<DocumentStore>,
  indexesOf?: IndexesOf,
) => {
  describe(`${name} document store contract`, () => {
    let store: DocumentStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });
    // A collection of the test's own, so tests and repeated runs never see each other's documents.
    const fresh = <T extends { id: string }>(indexes: string[], compound?: string[][]) =>
      store.collection<T>(`contract_${Math.random().toString(36).slice(2, 10)}`, {
        indexes,
        ...(compound ? { compound } : {}),
      });

    it("puts and gets a document with its revision", async () => {
      const tasks = await fresh<Task>(["status"]);
      expect(await tasks.get("t1")).toBeUndefined();
      expect(await tasks.put({ id: "t1", status: "open", archived: false, note: "first" }, null)).toBe(1);
      expect(await tasks.get("t1")).toEqual({
        doc: { id: "t1", status: "open", archived: false, note: "first" },
        rev: 1,
      });
      expect(await tasks.put({ id: "t1", status: "done", archived: false }, 1)).toBe(2);
      // A put replaces the whole document: the dropped `note` is gone.
      expect(await tasks.get("t1")).toEqual({ doc: { id: "t1", status: "done", archived: false }, rev: 2 });
    });

    it("rejects a stale revision, a create over an existing document, and a revision of a missing one", async () => {
      const tasks = await fresh<Task>(["status"]);
      await tasks.put({ id: "t1", status: "open", archived: false }, null);
      await tasks.put({ id: "t1", status: "running", archived: false }, 1);
      await expect(tasks.put({ id: "t1", status: "stale", archived: false }, 1)).rejects.toBeInstanceOf(
        RevisionConflict,
      );
      await expect(tasks.put({ id: "t1", status: "again", archived: false }, null)).rejects.toBeInstanceOf(
        RevisionConflict,
      );
      await expect(tasks.put({ id: "t2", status: "ghost", archived: false }, 3)).rejects.toBeInstanceOf(
        RevisionConflict,
      );
      expect(await tasks.get("t1")).toEqual({ doc: { id: "t1", status: "running", archived: false }, rev: 2 });
      expect(await tasks.get("t2")).toBeUndefined();
    });

    it("applies concurrent updates of one document, each exactly once", async () => {
      const counters = await fresh<Counter>([]);
      const increment = () => counters.update("c1", (current) => ({ id: "c1", count: (current?.count ?? 0) + 1 }));
      // Both start from a missing document: one create wins, the other retries as an update.
      await Promise.all([increment(), increment()]);
      expect((await counters.get("c1"))?.doc.count).toBe(2);
      await Promise.all([increment(), increment(), increment(), increment()]);
      expect(await counters.get("c1")).toEqual({ doc: { id: "c1", count: 6 }, rev: 6 });
    });

    it("writes nothing when update returns undefined", async () => {
      const counters = await fresh<Counter>([]);
      expect(await counters.update("c1", () => undefined)).toBeUndefined();
      expect(await counters.get("c1")).toBeUndefined();
      await counters.put({ id: "c1", count: 5 }, null);
      expect(await counters.update("c1", () => undefined)).toEqual({ id: "c1", count: 5 });
      expect(await counters.get("c1")).toEqual({ doc: { id: "c1", count: 5 }, rev: 1 });
      expect(await counters.update("c1", (c) => c && { ...c, count: c.count + 1 })).toEqual({ id: "c1", count: 6 });
    });

    it("pages through a filtered, ordered find with no gaps or duplicates, ties broken by id", async () => {
      const tasks = await fresh<Task>(["status", "score"]);
      // Three ties on 2, and missing scores (null) that sort first ascending and last descending.
      const scores: (number | undefined)[] = [2, undefined, 1, 2, 3, undefined, 1, 2, undefined, 5, 4];
      const open = scores.map((score, i) => ({ id: `t${String(i).padStart(2, "0")}`, status: "open", score }));
      const done = [7, 0].map((score, i) => ({ id: `t${50 + i}`, status: "done", score }));
      // Inserted out of id order, so an order by insertion would show.
      for (const task of [...open, ...done].reverse()) {
        const { score, ...rest } = task;
        await tasks.put(score === undefined ? { ...rest, archived: false } : { ...task, archived: false }, null);
      }
      for (const direction of ["asc", "desc"] as const) {
        const expected = open
          .map((t) => ({ id: t.id, score: t.score ?? null }))
          .sort((a, b) => compareKeys(a, b) * (direction === "asc" ? 1 : -1))
          .map((t) => t.id);
        for (const limit of [2, 3, 4]) {
          const seen: string[] = [];
          let after: { value: FieldValue; id: string } | undefined;
          let pages = 0;
          for (;;) {
            const page = await tasks.find({
              where: { status: "open" },
              orderBy: { field: "score", direction },
              limit,
              ...(after ? { after } : {}),
            });
            if (page.length === 0) break;
            pages++;
            seen.push(...page.map((t) => t.id));
            const last = page.at(-1)!;
            after = { value: last.score ?? null, id: last.id };
          }
          expect(seen, `${direction}, limit ${limit}`).toEqual(expected);
          expect(pages).toBe(Math.ceil(open.length / limit));
        }
      }
      expect((await tasks.find({ where: { status: "done" } })).map((t) => t.id)).toEqual(["t50", "t51"]);
      expect((await tasks.find({ limit: 2 })).map((t) => t.id)).toEqual(["t00", "t01"]);
      expect((await tasks.find({ after: { value: "t09", id: "t09" } })).map((t) => t.id)).toEqual([
        "t10",
        "t50",
        "t51",
      ]);
    });

    it("keeps indexed fields in step with every write", async () => {
      const tasks = await fresh<Task>(["status", "archived"]);
      await tasks.put({ id: "t1", status: "open", archived: false }, null);
      await tasks.update("t1", (t) => t && { ...t, status: "done", archived: true });
      expect(await tasks.find({ where: { status: "open" } })).toEqual([]);
      expect(await tasks.find({ where: { status: "done", archived: true } })).toEqual([
        { id: "t1", status: "done", archived: true },
      ]);
      expect(await tasks.count({ archived: false })).toBe(0);
    });

    it("gets one document by an indexed field, the first in id order, and sees every write at once", async () => {
      const tasks = await fresh<Task>(["status", "score"]);
      expect(await tasks.getBy("status", "open")).toBeUndefined();
      await tasks.put({ id: "t2", status: "open", score: 2, archived: false }, null);
      await tasks.put({ id: "t1", status: "open", archived: false }, null);
      await tasks.put({ id: "t3", status: "done", score: 3, archived: false }, null);
      expect(await tasks.getBy("status", "open")).toEqual({ id: "t1", status: "open", archived: false });
      expect(await tasks.getBy("score", 3)).toEqual({ id: "t3", status: "done", score: 3, archived: false });
      // Bound as stored: the string "3" is not the number 3.
      expect(await tasks.getBy("score", "3")).toBeUndefined();
      expect((await tasks.getBy("score", null))?.id).toBe("t1");
      await tasks.update("t3", (t) => t && { ...t, status: "archived" });
      expect(await tasks.getBy("status", "done")).toBeUndefined();
      expect((await tasks.getBy("status", "archived"))?.id).toBe("t3");
      await tasks.delete("t1");
      expect((await tasks.getBy("status", "open"))?.id).toBe("t2");
      await expect(tasks.getBy("note", "x")).rejects.toThrow(/not an indexed field/);
    });

    it("sums past nulls, and filters and orders through a compound index", async () => {
      type Pending = { id: string; account: string; pending: number | null; at: number };
      const docs = await fresh<Pending>(
        ["account", "pending", "at"],
        [
          ["account", "pending"],
          ["account", "at"],
        ],
      );
      const rows: [string, number | null, number][] = [
        ["a", 5, 3],
        ["a", null, 1],
        ["b", 7, 2],
        ["a", 2, 2],
      ];
      for (const [i, [account, pending, at]] of rows.entries())
        await docs.put({ id: `p${i}`, account, pending, at }, null);
      expect(await docs.sum("pending", { account: "a" })).toBe(7);
      expect(
        (await docs.find({ where: { account: "a" }, orderBy: { field: "at", direction: "desc" } })).map((d) => d.id),
      ).toEqual(["p0", "p3", "p1"]);
      await expect(fresh<Pending>(["account"], [["account", "nope"]])).rejects.toThrow(/not an indexed/);
    });

    it("sums and counts over the documents matching where", async () => {
      const charges = await fresh<Charge>(["account", "amount", "flagged"]);
      const rows: [string, number, boolean][] = [
        ["a", 10, false],
        ["a", 2.5, true],
        ["b", 7, false],
        ["a", 30, false],
      ];
      for (const [i, [account, amount, flagged]] of rows.entries()) {
        await charges.put({ id: `ch${i}`, account, amount, flagged }, null);
      }
      expect(await charges.sum("amount", { account: "a" })).toBe(42.5);
      expect(await charges.sum("amount", { account: "a", flagged: false })).toBe(40);
      expect(await charges.sum("amount", {})).toBe(49.5);
      expect(await charges.sum("amount", { account: "nobody" })).toBe(0);
      expect(await charges.count({ account: "a" })).toBe(3);
      expect(await charges.count({ flagged: true })).toBe(1);
      expect(await charges.count()).toBe(4);
      expect(await charges.count({ account: "nobody" })).toBe(0);
    });

    it("iterates every document in id order across batches", async () => {
      const counters = await fresh<Counter>([]);
      const ids = Array.from({ length: 1_234 }, (_, i) => `c${String(i).padStart(5, "0")}`);
      await Promise.all([...ids].reverse().map((id, i) => counters.put({ id, count: i }, null)));
      const seen: string[] = [];
      for await (const doc of counters.all()) seen.push(doc.id);
      expect(seen).toEqual(ids);
    });

    it("finds the documents whose id starts with a prefix, with filters, orders and pages", async () => {
      type Row = { id: string; at: number; kind: string };
      const rows = await store.collection<Row>(`contract_${Math.random().toString(36).slice(2, 10)}`, {
        indexes: ["at"],
        fields: ["kind"],
      });
      const owners = ["a", "a:", "a:b", "a;", "a9", "ab", "b"];
      await Promise.all(
        owners.flatMap((owner, o) =>
          [3, 1, 2].map((n) =>
            rows.put({ id: `${owner}:${n}`, at: 10 * o + n, kind: n === 2 ? "two" : "other" }, null),
          ),
        ),
      );
      const ids = async (query: Parameters<typeof rows.find>[0]) => (await rows.find(query)).map((row) => row.id);
      // "a:" takes the ids of owner "a" and of owners whose name starts "a:", never "a;", "a9" or "ab".
      expect(await ids({ idPrefix: "a:" })).toEqual([
        "a:1",
        "a:2",
        "a:3",
        "a::1",
        "a::2",
        "a::3",
        "a:b:1",
        "a:b:2",
        "a:b:3",
      ]);
      expect(await ids({ idPrefix: "a:b:" })).toEqual(["a:b:1", "a:b:2", "a:b:3"]);
      expect(await ids({ idPrefix: "a:", where: { kind: "two" } })).toEqual(["a:2", "a::2", "a:b:2"]);
      expect(await ids({ idPrefix: "b:", orderBy: { field: "at", direction: "desc" }, limit: 2 })).toEqual([
        "b:3",
        "b:2",
      ]);
      expect(await ids({ idPrefix: "a:", after: { value: "a::3", id: "a::3" }, limit: 2 })).toEqual(["a:b:1", "a:b:2"]);
      expect(await ids({ idPrefix: "c:" })).toEqual([]);
      expect(await ids({ idPrefix: "" })).toHaveLength(owners.length * 3);
    });

    it("clears every document and accepts new ones afterwards", async () => {
      const tasks = await fresh<Task>(["status"]);
      await tasks.put({ id: "t1", status: "open", archived: false }, null);
      await tasks.put({ id: "t2", status: "open", archived: false }, null);
      await tasks.clear();
      expect(await tasks.count()).toBe(0);
      expect(await tasks.find({ where: { status: "open" } })).toEqual([]);
      const left: Task[] = [];
      for await (const doc of tasks.all()) left.push(doc);
      expect(left).toEqual([]);
      expect(await tasks.put({ id: "t1", status: "open", archived: false }, null)).toBe(1);
    });

    it("deletes one document, and deleting a missing one is no error", async () => {
      const tasks = await fresh<Task>(["status"]);
      await tasks.put({ id: "t1", status: "open", archived: false }, null);
      await tasks.put({ id: "t2", status: "open", archived: false }, null);
      await tasks.delete("t1");
      await tasks.delete("nope");
      expect(await tasks.get("t1")).toBeUndefined();
      expect(await tasks.count({ status: "open" })).toBe(1);
      expect(await tasks.put({ id: "t1", status: "open", archived: false }, null)).toBe(1);
    });

    it("answers queries on declared fields without an index of their own as on indexed ones", async () => {
      type Pending = { id: string; account: string; pending: number | null; at: number; gone: boolean };
      const name = `contract_${Math.random().toString(36).slice(2, 10)}`;
      const docs = await store.collection<Pending>(name, {
        fields: ["account", "pending", "at", "gone"],
        compound: [["account", "pending"]],
      });
      const rows: [string, number | null, number, boolean][] = [
        ["a", 5, 3, false],
        ["a", null, 1, false],
        ["b", 7, 2, true],
        ["a", 2, 2, true],
      ];
      for (const [i, [account, pending, at, gone]] of rows.entries())
        await docs.put({ id: `p${i}`, account, pending, at, gone }, null);
      expect(await docs.sum("pending", { account: "a" })).toBe(7);
      expect(await docs.count({ gone: true })).toBe(2);
      expect((await docs.getBy("at", 2))?.id).toBe("p2");
      const byTime = await docs.find({
        where: { account: "a" },
        orderBy: { field: "at", direction: "desc" },
        limit: 2,
      });
      expect(byTime.map((d) => d.id)).toEqual(["p0", "p3"]);
      const next = await docs.find({
        where: { account: "a" },
        orderBy: { field: "at", direction: "desc" },
        after: { value: 2, id: "p3" },
      });
      expect(next.map((d) => d.id)).toEqual(["p1"]);
      // Only the compound index was made; "account" and the others have none of their own.
      if (indexesOf) expect(await indexesOf(name)).toEqual([["account", "pending"]]);
      await expect(docs.find({ where: { note: "x" } })).rejects.toThrow(/not an indexed field/);
    });

    it("sums through a partial index as through a full one, as documents move between null and set", async () => {
      type Pending = { id: string; account: string; pending: number | null; at: number };
      const name = `contract_${Math.random().toString(36).slice(2, 10)}`;
      const declaration = { fields: ["account", "pending", "at"], compound: [["account", "at"]] };
      // Opened full first (an older declaration), then partial, then full again: each answers the same.
      const full = await store.collection<Pending>(name, { ...declaration, compound: [["account", "pending"]] });
      await full.put({ id: "p0", account: "a", pending: 5, at: 1 }, null);
      await full.put({ id: "p1", account: "a", pending: null, at: 2 }, null);
      const again = await open();
      try {
        const docs = await again.collection<Pending>(name, { ...declaration, partial: [["account", "pending"]] });
        expect(await docs.sum("pending", { account: "a" })).toBe(5);
        await docs.put({ id: "p2", account: "a", pending: 2, at: 3 }, null);
        await docs.put({ id: "p3", account: "b", pending: 7, at: 4 }, null);
        await docs.update("p0", (doc) => doc && { ...doc, pending: null });
        await docs.update("p1", (doc) => doc && { ...doc, pending: 4 });
        expect(await docs.sum("pending", { account: "a" })).toBe(6);
        expect(await docs.sum("pending", { account: "b" })).toBe(7);
        expect(await docs.count({ account: "a", pending: null })).toBe(1);
        expect(
          (await docs.find({ where: { account: "a" }, orderBy: { field: "at", direction: "asc" } })).map((d) => d.id),
        ).toEqual(["p0", "p1", "p2"]);
        if (indexesOf)
          expect(await indexesOf(name)).toEqual([
            ["account", "at"],
            ["account", "pending"],
          ]);
        await docs.update("p2", (doc) => doc && { ...doc, pending: null });
        expect(await docs.sum("pending", { account: "a" })).toBe(4);
      } finally {
        await again.close();
      }
      const third = await open();
      try {
        const docs = await third.collection<Pending>(name, {
          ...declaration,
          compound: [
            ["account", "at"],
            ["account", "pending"],
          ],
        });
        expect(await docs.sum("pending", { account: "a" })).toBe(4);
        expect(await docs.sum("pending", { account: "b" })).toBe(7);
      } finally {
        await third.close();
      }
      await expect(
        store.collection<Pending>(`${name}_twice`, { ...declaration, partial: [["account", "at"]] }),
      ).rejects.toThrow(/declared twice/);
    });

    it("keeps exactly the declared indexes: one no longer declared is dropped when the collection is opened", async () => {
      type Row = { id: string; a: string; b: number; c: boolean };
      const name = `contract_${Math.random().toString(36).slice(2, 10)}`;
      const before = await store.collection<Row>(name, { indexes: ["a", "b", "c"], compound: [["a", "b"]] });
      await before.put({ id: "r1", a: "x", b: 1, c: true }, null);
      await before.put({ id: "r2", a: "y", b: 2, c: false }, null);
      if (indexesOf) expect(await indexesOf(name)).toEqual([["a"], ["a", "b"], ["b"], ["c"]]);
      // A later start declares fewer: another store on the same database, as a new version of the service.
      const later = await open();
      try {
        const after = await later.collection<Row>(name, { indexes: ["c"], fields: ["a", "b"], compound: [["a", "b"]] });
        if (indexesOf) expect(await indexesOf(name)).toEqual([["a", "b"], ["c"]]);
        // Every query still answers, from the documents written before.
        expect((await after.find({ where: { a: "x" } })).map((r) => r.id)).toEqual(["r1"]);
        expect(await after.sum("b", { a: "y" })).toBe(2);
        expect((await after.getBy("c", false))?.id).toBe("r2");
        await after.put({ id: "r3", a: "x", b: 3, c: false }, null);
        expect(await after.count({ a: "x" })).toBe(2);
      } finally {
        await later.close();
      }
    });

    it("keeps every query in step when an update changes some indexed fields and not others", async () => {
      type Video = { id: string; account: string; pending: number | null; deleted: boolean; at: number; n: number };
      // As ingress's videos: the fields only compound indexes serve, and one indexed alone.
      const docs = await store.collection<Video>(`contract_${Math.random().toString(36).slice(2, 10)}`, {
        indexes: ["n"],
        fields: ["account", "pending", "deleted", "at"],
        compound: [
          ["account", "pending"],
          ["account", "deleted", "at"],
        ],
      });
      await docs.put({ id: "v1", account: "a", pending: 5, deleted: false, at: 1, n: 0 }, null);
      await docs.put({ id: "v2", account: "a", pending: 3, deleted: false, at: 2, n: 0 }, null);
      // Fields the indexes hold left as they are, then each changed in turn, to null and back, and moved to another account.
      const steps: ((v: Video) => Video)[] = [
        (v) => ({ ...v, n: v.n + 1 }),
        (v) => ({ ...v, pending: null, n: v.n + 1 }),
        (v) => ({ ...v, n: v.n + 1 }),
        (v) => ({ ...v, pending: 4 }),
        (v) => ({ ...v, deleted: true }),
        (v) => ({ ...v, account: "b" }),
        (v) => ({ ...v, account: "a", deleted: false, pending: null }),
      ];
      for (const step of steps) {
        await docs.update("v1", (v) => v && step(v));
        const v1 = (await docs.get("v1"))!.doc;
        const live = [v1, { id: "v2", account: "a", pending: 3, deleted: false, at: 2, n: 0 }];
        const ofA = live.filter((v) => v.account === "a");
        expect(await docs.sum("pending", { account: "a" })).toBe(ofA.reduce((t, v) => t + (v.pending ?? 0), 0));
        expect(await docs.sum("pending", { account: "b" })).toBe(v1.account === "b" ? (v1.pending ?? 0) : 0);
        const listed = await docs.find({
          where: { account: "a", deleted: false },
          orderBy: { field: "at", direction: "desc" },
        });
        expect(listed.map((v) => v.id)).toEqual(
          ofA
            .filter((v) => !v.deleted)
            .sort((x, y) => y.at - x.at)
            .map((v) => v.id),
        );
        expect(await docs.count({ n: v1.n })).toBe(v1.n === 0 ? 2 : 1);
      }
    });

    it("refuses to filter, order or sum on a field that is not indexed", async () => {
      const tasks = await fresh<Task>(["status"]);
      await expect(tasks.find({ where: { note: "x" } })).rejects.toThrow(/"note" is not an indexed field/);
      await expect(tasks.find({ orderBy: { field: "score", direction: "asc" } })).rejects.toThrow(/not an indexed/);
      await expect(tasks.count({ note: "x" })).rejects.toThrow(/not an indexed/);
      await expect(tasks.sum("score", {})).rejects.toThrow(/not an indexed/);
      await expect(tasks.sum("status", { note: "x" })).rejects.toThrow(/not an indexed/);
      await expect(store.collection("bad", { indexes: ["a.b"] })).rejects.toThrow(/plain top-level field/);
    });
  });
};

/** The order both adapters promise: null first, then by value, ties by id. */
const compareKeys = (a: { id: string; score: number | null }, b: { id: string; score: number | null }) => {
  if (a.score !== b.score) {
    if (a.score === null) return -1;
    if (b.score === null) return 1;
    return a.score - b.score;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};
