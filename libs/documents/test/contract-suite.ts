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

/** The behaviour every DocumentStore adapter must show; each adapter's test file runs it against a real store. */
export const describeDocumentStoreContract = (name: string, open: () => Promise<DocumentStore>) => {
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
