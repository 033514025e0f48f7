import { randomUUID } from "node:crypto";
import type { NewEvent } from "@reelgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConcurrencyError,
  type EventStore,
  EventTooLargeError,
  MAX_EVENT_BYTES,
  type StoredEvent,
} from "../src/port.ts";

const unique = () => randomUUID().replaceAll("-", "").slice(0, 16);

/** A category no other test uses, so the suite can run against a shared database. */
const newCategory = () => `c${unique()}`;
const newStream = () => `${newCategory()}-${unique()}`;

const newEvent = (type = "SomethingHappened", data: unknown = { n: 1 }): NewEvent => ({
  id: `evt-${unique()}`,
  type,
  schemaVersion: 1,
  occurredAt: "2025-01-01T00:00:00.000Z",
  correlationId: "video-1",
  causationId: null,
  accountId: null,
  data,
});

const collect = async (events: AsyncIterable<StoredEvent>) => {
  const all: StoredEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
};

const rejectionOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
};

/**
 * Every EventStore adapter must pass this suite; `open` may be called more than once. Each test uses
 * its own streams and categories, but the outbox and countAll tests assume no other process writes
 * to the same store (give each run its own collection prefix or file).
 */
export const describeEventStoreContract = (name: string, open: () => Promise<EventStore>) => {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe("append", () => {
      it("starts a new stream at expected version 0", async () => {
        const stream = newStream();
        const event = newEvent();
        const result = await store.append(stream, [event], { expectedVersion: 0 });
        expect(result).toEqual({ nextVersion: 1, events: [{ ...event, stream, version: 1 }], duplicate: false });
        expect(await store.readStream(stream)).toMatchObject([{ ...event, stream, version: 1 }]);
      });

      it("appends at the stream's current version", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent()], { expectedVersion: 0 });
        const result = await store.append(stream, [newEvent()], { expectedVersion: 1 });
        expect(result.nextVersion).toBe(2);
        expect(result.events.map((event) => event.version)).toEqual([2]);
      });

      it("rejects a wrong expected version with both versions", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent(), newEvent()], { expectedVersion: 0 });
        const error = await rejectionOf(store.append(stream, [newEvent()], { expectedVersion: 1 }));
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ stream, expectedVersion: 1, actualVersion: 2 });
        const onNew = await rejectionOf(store.append(newStream(), [newEvent()], { expectedVersion: 3 }));
        expect(onNew).toMatchObject({ name: "ConcurrencyError", expectedVersion: 3, actualVersion: 0 });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it("lets exactly one of two concurrent appends at the same version win", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent()], { expectedVersion: 0 });
        const outcomes = await Promise.allSettled([
          store.append(stream, [newEvent("A")], { expectedVersion: 1 }),
          store.append(stream, [newEvent("B")], { expectedVersion: 1 }),
        ]);
        const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
        const lost = outcomes.filter((outcome) => outcome.status === "rejected");
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyError);
        expect(lost[0]!.reason).toMatchObject({ stream, expectedVersion: 1 });
        const events = await store.readStream(stream);
        expect(events.map((event) => event.version)).toEqual([1, 2]);
        expect(events[1]!.type).toBe(won[0]!.value.events[0]!.type);
      });

      it("reads a page of a stream: after a version, at most a limit, even inside a multi-event commit", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent(), newEvent()], { expectedVersion: 0 });
        await store.append(stream, [newEvent(), newEvent(), newEvent()], { expectedVersion: 2 });
        const versions = async (after: number, limit?: number) =>
          (await store.readStream(stream, after, limit)).map((event) => event.version);
        expect(await versions(0, 3)).toEqual([1, 2, 3]);
        expect(await versions(1, 2)).toEqual([2, 3]);
        expect(await versions(3, 10)).toEqual([4, 5]);
        expect(await versions(5, 10)).toEqual([]);
        expect(await versions(0)).toEqual([1, 2, 3, 4, 5]);
      });

      it('appends at any version with "any"', async () => {
        const stream = newStream();
        expect((await store.append(stream, [newEvent()], { expectedVersion: "any" })).nextVersion).toBe(1);
        expect((await store.append(stream, [newEvent()], { expectedVersion: "any" })).nextVersion).toBe(2);
        const concurrent = await Promise.all([
          store.append(stream, [newEvent()], { expectedVersion: "any" }),
          store.append(stream, [newEvent()], { expectedVersion: "any" }),
        ]);
        expect(concurrent.map((result) => result.nextVersion).sort()).toEqual([3, 4]);
        expect((await store.readStream(stream)).map((event) => event.version)).toEqual([1, 2, 3, 4]);
      });

      it("appends several events atomically with dense versions", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent()], { expectedVersion: 0 });
        const result = await store.append(stream, [newEvent("A"), newEvent("B"), newEvent("C")], {
          expectedVersion: 1,
        });
        expect(result.nextVersion).toBe(4);
        expect(result.events.map((event) => [event.type, event.version])).toEqual([
          ["A", 2],
          ["B", 3],
          ["C", 4],
        ]);
        // A conflicting multi-event append writes none of its events.
        await expect(store.append(stream, [newEvent(), newEvent()], { expectedVersion: 1 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        expect((await store.readStream(stream)).map((event) => event.version)).toEqual([1, 2, 3, 4]);
      });

      it("refuses an event larger than the bus carries with a typed error, and appends nothing of its commit", async () => {
        const stream = newStream();
        const small = newEvent();
        const huge = newEvent("Huge", { text: "x".repeat(MAX_EVENT_BYTES) });
        const error = await rejectionOf(store.append(stream, [small, huge], { expectedVersion: 0 }));
        expect(error).toBeInstanceOf(EventTooLargeError);
        expect(error).toMatchObject({ stream, eventType: "Huge", limit: MAX_EVENT_BYTES });
        expect(await store.readStream(stream)).toEqual([]);
        const fits = newEvent("Fits", { text: "x".repeat(MAX_EVENT_BYTES - 2_000) });
        expect((await store.append(stream, [fits], { expectedVersion: 0 })).nextVersion).toBe(1);
      });

      it("returns nothing new for an empty append", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent()], { expectedVersion: 0 });
        expect(await store.append(stream, [], { expectedVersion: 1 })).toEqual({
          nextVersion: 1,
          events: [],
          duplicate: false,
        });
      });
    });

    describe("idempotent append", () => {
      it("answers a repeated commitId with the first result and appends nothing", async () => {
        const stream = newStream();
        const first = await store.append(stream, [newEvent(), newEvent()], { expectedVersion: 0, commitId: unique() });
        const commitId = unique();
        const original = await store.append(stream, [newEvent("X")], { expectedVersion: 2, commitId });
        const again = await store.append(stream, [newEvent("X")], { expectedVersion: 2, commitId });
        expect(again).toEqual({ nextVersion: original.nextVersion, events: original.events, duplicate: true });
        const withAny = await store.append(stream, [newEvent("X")], { expectedVersion: "any", commitId });
        expect(withAny).toEqual(again);
        expect(first.duplicate).toBe(false);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it("does not append an event id twice, even under a new commitId", async () => {
        const stream = newStream();
        const event = newEvent();
        const original = await store.append(stream, [event], { expectedVersion: 0 });
        // The default commitId is the first event's id.
        expect(await store.append(stream, [event], { expectedVersion: 0 })).toEqual({ ...original, duplicate: true });
        const again = await store.append(stream, [event], { expectedVersion: 1, commitId: unique() });
        expect(again).toEqual({ ...original, duplicate: true });
        const elsewhere = await store.append(newStream(), [event], { expectedVersion: 0, commitId: unique() });
        expect(elsewhere).toEqual({ ...original, duplicate: true });
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });

    describe("reading", () => {
      it("reads a stream in version order, after a version", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent("A"), newEvent("B")], { expectedVersion: 0 });
        await store.append(stream, [newEvent("C")], { expectedVersion: 2 });
        await store.append(newStream(), [newEvent("other")], { expectedVersion: 0 });
        expect((await store.readStream(stream)).map((event) => event.type)).toEqual(["A", "B", "C"]);
        expect((await store.readStream(stream, 1)).map((event) => event.type)).toEqual(["B", "C"]);
        expect(await store.readStream(stream, 3)).toEqual([]);
        expect(await store.readStream(newStream())).toEqual([]);
      });

      it("reads all streams in append order, by category, resuming after a position", async () => {
        const category = newCategory();
        const [a, b] = [`${category}-a${unique()}`, `${category}-b${unique()}`];
        const other = newStream();
        await store.append(a, [newEvent("a1"), newEvent("a2")], { expectedVersion: 0 });
        await store.append(other, [newEvent("o1")], { expectedVersion: 0 });
        await store.append(b, [newEvent("b1")], { expectedVersion: 0 });
        await store.append(a, [newEvent("a3"), newEvent("a4"), newEvent("a5")], { expectedVersion: 2 });
        await store.append(b, [newEvent("b2")], { expectedVersion: 1 });

        const ours = await collect(store.readAll({ category, batchSize: 2 }));
        expect(ours.map((event) => event.type)).toEqual(["a1", "a2", "b1", "a3", "a4", "a5", "b2"]);
        const positions = ours.map((event) => event.position);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
        expect(new Set(positions).size).toBe(positions.length);

        // Every stream, unfiltered: ours keep their order, with the other category's event between.
        const mine = new Set([a, b, other]);
        const everything = (await collect(store.readAll({ batchSize: 3 }))).filter((event) => mine.has(event.stream));
        expect(everything.map((event) => event.type)).toEqual(["a1", "a2", "o1", "b1", "a3", "a4", "a5", "b2"]);

        // Resume after a position, including from the middle of a multi-event commit.
        const afterB1 = await collect(store.readAll({ category, after: ours[2]!.position, batchSize: 1 }));
        expect(afterB1.map((event) => event.type)).toEqual(["a3", "a4", "a5", "b2"]);
        const afterA4 = await collect(store.readAll({ category, after: ours[4]!.position }));
        expect(afterA4.map((event) => event.type)).toEqual(["a5", "b2"]);
        expect(await collect(store.readAll({ category, after: ours[6]!.position }))).toEqual([]);
        expect(afterA4[0]).toEqual(ours[5]);
      });

      it("gives stream reads the same positions as readAll", async () => {
        const stream = newStream();
        await store.append(stream, [newEvent(), newEvent()], { expectedVersion: 0 });
        const all = await collect(store.readAll({ category: stream.slice(0, stream.indexOf("-")) }));
        expect(await store.readStream(stream)).toEqual(all);
      });

      it("counts what readAll would yield", async () => {
        const category = newCategory();
        expect(await store.countAll({ category })).toBe(0);
        await store.append(`${category}-1`, [newEvent(), newEvent()], { expectedVersion: 0 });
        await store.append(`${category}-2`, [newEvent()], { expectedVersion: 0 });
        expect(await store.countAll({ category })).toBe(3);
        const total = await store.countAll();
        expect(total).toBeGreaterThanOrEqual(3);
        expect(total).toBe((await collect(store.readAll())).length);
      });
    });

    describe("outbox", () => {
      // Publishes whatever earlier tests left pending, so the batches below hold only this test's commits.
      const drain = async () => {
        for (;;) {
          const batch = await store.unpublished(1000);
          if (batch.refs.length === 0) return;
          await store.markPublished(batch.refs);
        }
      };

      it("hands out whole unpublished commits in order until marked published", async () => {
        await drain();
        const [a, b] = [newStream(), newStream()];
        await store.append(a, [newEvent("a1"), newEvent("a2")], { expectedVersion: 0 });
        await store.append(b, [newEvent("b1")], { expectedVersion: 0 });
        await store.append(a, [newEvent("a3")], { expectedVersion: 2 });

        const all = await store.unpublished(10);
        expect(all.events.map((event) => event.type)).toEqual(["a1", "a2", "b1", "a3"]);
        expect(all.refs).toHaveLength(3);
        expect(all.events).toEqual([
          ...(await store.readStream(a)).slice(0, 2),
          ...(await store.readStream(b)),
          (await store.readStream(a))[2],
        ]);

        expect((await store.unpublished(2)).events.map((event) => event.type)).toEqual(["a1", "a2"]);
        expect((await store.unpublished(3)).events.map((event) => event.type)).toEqual(["a1", "a2", "b1"]);
        // Never half a commit; a commit larger than the limit still comes alone, or the outbox would stall.
        const first = await store.unpublished(1);
        expect(first.events.map((event) => event.type)).toEqual(["a1", "a2"]);
        expect(first.refs).toHaveLength(1);

        await store.markPublished((await store.unpublished(3)).refs);
        expect((await store.unpublished(10)).events.map((event) => event.type)).toEqual(["a3"]);
        await store.append(b, [newEvent("b2")], { expectedVersion: 1 });
        const rest = await store.unpublished(10);
        expect(rest.events.map((event) => event.type)).toEqual(["a3", "b2"]);

        await store.markPublished(rest.refs);
        expect(await store.unpublished(10)).toEqual({ events: [], refs: [] });
        await store.markPublished([]);
      });
    });

    describe("close", () => {
      it("closes a store it opened, and the data stays", async () => {
        const stream = newStream();
        const own = await open();
        await own.append(stream, [newEvent()], { expectedVersion: 0 });
        await own.close();
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });
  });
};
