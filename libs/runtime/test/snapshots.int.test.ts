import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DomainEvent } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { type EventStore, openSqliteEventStore } from "@reelgate/event-store";
import { describe, expect, it } from "vitest";
import { type Aggregate, aggregateRepository, documentSnapshots } from "../src/index.ts";

/** A counter over ApiKeyRevoked events: any event type will do, the repository does not look inside. */
type Revoked = Extract<DomainEvent, { type: "ApiKeyRevoked" }>;
const counter: Aggregate<{ count: number }, { type: "Bump" }, Revoked> = {
  initialState: () => ({ count: 0 }),
  evolve: (state) => ({ count: state.count + 1 }),
  decide: () => [{ type: "ApiKeyRevoked", data: { keyId: "k" } }],
};
const meta = (n: number) => ({
  commitId: `bump-${n}`,
  correlationId: "c",
  causationId: null,
  accountId: null,
  now: new Date(),
});

/** The store, recording from which version each stream read started. */
const recordingReads = (store: EventStore) => {
  const reads: number[] = [];
  const wrapped: EventStore = {
    ...store,
    readStream: (stream, after, limit) => {
      reads.push(after ?? 0);
      return store.readStream(stream, after, limit);
    },
  };
  return { store: wrapped, reads };
};

describe("aggregate snapshots", () => {
  it("let a cold repository start from the last snapshot and read only the stream's tail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reelgate-snapshots-"));
    const events = openSqliteEventStore(join(dir, "events.db"));
    const documents = openSqliteDocumentStore(join(dir, "documents.db"));
    const snapshots = await documentSnapshots(documents, "counter_snapshots", {
      serialize: (state: { count: number }) => state,
      deserialize: (json: { count: number }) => json,
    });
    const warm = aggregateRepository(events, counter, { snapshots, snapshotEvery: 10 });
    for (let n = 1; n <= 25; n++) await warm.execute("apikey-hot", { type: "Bump" }, meta(n));

    const cold = recordingReads(events);
    const restarted = aggregateRepository(cold.store, counter, { snapshots, snapshotEvery: 10 });
    expect(await restarted.load("apikey-hot")).toEqual({ state: { count: 25 }, version: 25 });
    expect(cold.reads).toEqual([20]);

    const decision = await restarted.execute("apikey-hot", { type: "Bump" }, meta(26));
    expect(decision).toMatchObject({ state: { count: 26 }, version: 26, duplicate: false });

    const unsnapshotted = recordingReads(events);
    expect(await aggregateRepository(unsnapshotted.store, counter).load("apikey-hot")).toEqual({
      state: { count: 26 },
      version: 26,
    });
    expect(unsnapshotted.reads).toEqual([0]);
    await documents.close();
    await events.close();
  });

  it("keep the newer snapshot when an older one is saved after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reelgate-snapshots-"));
    const documents = openSqliteDocumentStore(join(dir, "documents.db"));
    const snapshots = await documentSnapshots(documents, "s", {
      serialize: (state: number) => state,
      deserialize: (json: number) => json,
    });
    await snapshots.save("apikey-x", { state: 200, version: 200 });
    await snapshots.save("apikey-x", { state: 100, version: 100 });
    expect(await snapshots.load("apikey-x")).toEqual({ state: 200, version: 200 });
    expect(await snapshots.load("apikey-none")).toBeUndefined();
    await documents.close();
  });
});
