import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { testNats, waitFor } from "@reelgate/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startRelay } from "../src/relay.ts";
import { jobProgressed, memoryOutbox, messageCount, openBus, silentLog, streamMessages } from "./fixtures.ts";

const nats = testNats();

describe.skipIf(!nats.url)("outbox relay", () => {
  let nc: NatsConnection;
  let names: NatsNames;
  beforeEach(async () => {
    ({ nc, names } = await openBus(nats.url!));
  });
  afterEach(async () => {
    await nc.close();
  });

  it("publishes appended events once each, in append order, to their category subjects", async () => {
    const store = memoryOutbox();
    const relay = startRelay({ store, nc, names, log: silentLog, batchSize: 7 });
    const events = Array.from({ length: 40 }, (_, i) => jobProgressed(`video_${i % 3}`, Math.floor(i / 3) + 1));
    for (const event of events.slice(0, 20)) {
      store.append(event);
      relay.notify();
    }
    store.append(...events.slice(20));
    relay.notify();
    await waitFor("outbox empty", () => store.pending() === 0);
    expect(await relay.drain()).toBe(0);
    await relay.stop();

    const messages = await streamMessages(nc, names.eventsStream);
    expect(messages.map((m) => m.json<{ id: string }>().id)).toEqual(events.map((e) => e.id));
    expect(messages[0]?.subject).toBe(names.eventSubject("job", "JobProgressed"));
    expect(messages[0]?.header.get("Nats-Msg-Id")).toBe(events[0]?.id);
    expect(messages[0]?.json()).toEqual(events[0]); // the envelope, without the store's position
  });

  it("drain() publishes everything and says how many", async () => {
    const store = memoryOutbox();
    const relay = startRelay({ store, nc, names, log: silentLog, intervalMs: 60_000, batchSize: 4 });
    store.append(...Array.from({ length: 10 }, (_, i) => jobProgressed("video_d", i + 1)));
    const published = (await relay.drain()) + (await relay.drain());
    expect(published).toBe(10);
    expect(await messageCount(nc, names.eventsStream)).toBe(10);
    await relay.stop();
  });

  it("an event appended while no relay runs is published by the next relay, once", async () => {
    const store = memoryOutbox();
    const first = startRelay({ store, nc, names, log: silentLog });
    await first.stop();
    const event = jobProgressed("video_late", 1);
    store.append(event); // the process "crashed" after the append, before any publish
    const second = startRelay({ store, nc, names, log: silentLog });
    await waitFor("outbox empty", () => store.pending() === 0);
    await second.stop();
    expect(await messageCount(nc, names.eventsStream)).toBe(1);
  });

  it("a publish whose markPublished failed is republished and deduplicated by msgID", async () => {
    const store = memoryOutbox();
    store.failNextMarkPublished();
    const events = [jobProgressed("video_dup", 1), jobProgressed("video_dup", 2)];
    store.append(...events);
    const relay = startRelay({ store, nc, names, log: silentLog, intervalMs: 20 });
    await waitFor("outbox empty after the retry", () => store.pending() === 0);
    await relay.stop();
    const messages = await streamMessages(nc, names.eventsStream);
    expect(messages.map((m) => m.json<{ id: string }>().id)).toEqual(events.map((e) => e.id));
  });

  it("keeps the events when publishing fails, and drain() reports the failure", async () => {
    const store = memoryOutbox();
    const bad = { ...jobProgressed("video_bad", 1), stream: "nocategory" };
    store.append(bad);
    const relay = startRelay({ store, nc, names, log: silentLog, intervalMs: 60_000 });
    await expect(relay.drain()).rejects.toThrow(/unknown stream category/);
    expect(store.pending()).toBe(1);
    await relay.stop();
  });

  it("publishes from the SQLite event store's outbox", async () => {
    const store = openSqliteEventStore(":memory:");
    const relay = startRelay({ store, nc, names, log: silentLog });
    const { stream: _s, version: _v, ...first } = jobProgressed("video_sql", 1);
    const { stream: _s2, version: _v2, ...second } = jobProgressed("video_sql", 2);
    await store.append("job-video_sql", [first, second], { expectedVersion: 0 });
    relay.notify();
    await waitFor("published", async () => (await messageCount(nc, names.eventsStream)) === 2);
    expect(await relay.drain()).toBe(0);
    await relay.stop();
    await store.close();
    const messages = await streamMessages(nc, names.eventsStream);
    expect(messages.map((m) => m.json<{ id: string; version: number }>())).toMatchObject([
      { id: first.id, version: 1 },
      { id: second.id, version: 2 },
    ]);
  });

  it("relays the SQLite store's commits from memory, in append order, reading its outbox only at start", async () => {
    const store = openSqliteEventStore(":memory:");
    let outboxReads = 0;
    const counted = {
      ...store,
      onCommitted: store.onCommitted,
      unpublished: (limit: number) => {
        outboxReads++;
        return store.unpublished(limit);
      },
    };
    const relay = startRelay({ store: counted, nc, names, log: silentLog, intervalMs: 60_000, batchSize: 5 });
    await waitFor("the start's outbox read", () => outboxReads > 0);
    await relay.drain();
    const readsAtStart = outboxReads;
    const appended: string[] = [];
    // Three streams appended concurrently (one group commit), then one after another.
    const appendTo = async (videoId: string, version: number) => {
      const { stream: _s, version: _v, ...event } = jobProgressed(videoId, version);
      const { events } = await store.append(`job-${videoId}`, [event], { expectedVersion: version - 1 });
      appended.push(...events.map((e) => e.id));
    };
    for (let version = 1; version <= 4; version++)
      await Promise.all(["video_m1", "video_m2", "video_m3"].map((videoId) => appendTo(videoId, version)));
    await waitFor("published", async () => (await messageCount(nc, names.eventsStream)) === 12);
    expect(outboxReads).toBe(readsAtStart); // nothing read back
    expect(await relay.drain()).toBe(0);
    await relay.stop();
    expect((await store.unpublished(100)).events).toEqual([]); // every commit marked published
    await store.close();
    const messages = await streamMessages(nc, names.eventsStream);
    expect(messages.map((m) => m.json<{ id: string }>().id)).toEqual(appended);
  });

  it("after a failed round it reads the SQLite outbox again: every event once, each stream in order", async () => {
    const store = openSqliteEventStore(":memory:");
    let failMarks = 1;
    const failing = {
      ...store,
      onCommitted: store.onCommitted,
      markPublished: async (refs: string[]) => {
        if (failMarks-- > 0) throw new Error("simulated failure to mark");
        return store.markPublished(refs);
      },
    };
    const relay = startRelay({ store: failing, nc, names, log: silentLog, intervalMs: 20 });
    await relay.drain(); // the start's outbox read: empty
    const appended: string[] = [];
    for (let version = 1; version <= 6; version++) {
      const { stream: _s, version: _v, ...event } = jobProgressed("video_f", version);
      const { events } = await store.append("job-video_f", [event], { expectedVersion: version - 1 });
      appended.push(...events.map((e) => e.id));
    }
    await waitFor("the outbox empty", async () => (await store.unpublished(100)).events.length === 0);
    expect(failMarks).toBeLessThan(0); // the failure happened, and a later round marked them
    await relay.stop();
    await store.close();
    const messages = await streamMessages(nc, names.eventsStream);
    expect(messages.map((m) => m.json<{ id: string }>().id)).toEqual(appended);
  });

  it("quarantines an event the bus refuses (too large) in the dead letters and publishes the events behind it", async () => {
    const store = memoryOutbox();
    const relay = startRelay({ store, nc, names, log: silentLog, batchSize: 3, service: "relay-test" });
    const before = jobProgressed("video_before", 1);
    const poisoned = {
      ...jobProgressed("video_poison", 1),
      data: { videoId: "video_poison", note: "x".repeat(3 << 20) },
    };
    const behind = Array.from({ length: 10 }, (_, i) => jobProgressed(`video_behind_${i}`, 1));
    store.append(before, poisoned as typeof before, ...behind);
    relay.notify();
    await waitFor("outbox empty", () => store.pending() === 0);
    await relay.stop();

    const published = (await streamMessages(nc, names.eventsStream)).map((m) => m.json<{ id: string }>().id);
    expect(published).toEqual([before.id, ...behind.map((event) => event.id)]);
    const letters = await streamMessages(nc, names.deadLetterStream);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.subject).toBe(names.deadLetterSubject("relay-test"));
    const letter = letters[0]?.json<{ reason: string; event: { id: string }; bytes: number }>();
    expect(letter?.event.id).toBe(poisoned.id);
    expect(letter?.bytes).toBeGreaterThan(3 << 20);
    expect(letter?.reason).toMatch(/refused/);
  });
});
