import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppendOptions, openSqliteEventStore } from "@reelgate/event-store";
import { afterAll, describe, expect, it, vi } from "vitest";
import { commitElsewhere } from "../../event-store/test/commit-elsewhere.ts";
import { aggregateRepository } from "../src/index.ts";
import { counter, counterMeta } from "./counter-aggregate.ts";

const meta = counterMeta;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const dir = mkdtempSync(join(tmpdir(), "reelgate-chained-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (name: string) => {
  const path = join(dir, `${name}.db`);
  const store = openSqliteEventStore(path);
  const appends: AppendOptions[] = [];
  const append = store.append.bind(store);
  vi.spyOn(store, "append").mockImplementation((stream, events, options) => {
    appends.push(options);
    return append(stream, events, options);
  });
  return { path, store, appends, repository: aggregateRepository(store, counter) };
};

describe("commands waiting on one stream (SQLite: appends chained in one transaction)", () => {
  it("are decided each on the state the one before leaves, and appended at once, each after the one before", async () => {
    const { store, appends, repository } = open("chain");
    await repository.execute("apikey-c", { type: "Bump" }, meta("c0"));
    appends.length = 0;
    const decisions = Array.from({ length: 20 }, (_, i) =>
      repository.execute("apikey-c", { type: "Bump" }, meta(`c${i + 1}`)),
    );
    // Every append was queued before the first settled: one group commit for all of them.
    await decisions[0];
    expect(appends).toHaveLength(20);
    expect(appends.map((options) => options.expectedVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(appends.map((options) => options.afterCommitId)).toEqual([
      undefined,
      ...Array.from({ length: 19 }, (_, i) => `c${i + 1}`),
    ]);
    const settled = await Promise.all(decisions);
    expect(settled.map((decision) => [decision.state.count, decision.version, decision.events.length])).toEqual(
      Array.from({ length: 20 }, (_, i) => [i + 2, i + 2, 1]),
    );
    expect((await store.readStream("apikey-c")).map((event) => event.version)).toEqual(
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    await store.close();
  });

  it("a chain decided on a read that missed another connection's commit commits nothing of it; each runs again alone on the new state", async () => {
    const { path, store, repository } = open("missed");
    await repository.execute("apikey-m", { type: "Bump" }, meta("m0"));
    await nextTurn();
    // This turn's check for other connections' commits is made, then another connection appends one event:
    // the chain's second append expects version 2, which the stream has, but not after the first of the chain.
    await store.readStream("apikey-m", 1, undefined, { forAppend: true });
    commitElsewhere(path, "apikey-m", 2, "elsewhere-m2");
    const decisions = await Promise.all(
      ["m1", "m2", "m3"].map((id) => repository.execute("apikey-m", { type: "Bump" }, meta(id))),
    );
    expect(decisions.map((decision) => [decision.state.count, decision.version])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    const events = await store.readStream("apikey-m");
    expect(events.map((event) => [event.version, event.id === "elsewhere-m2"])).toEqual([
      [1, false],
      [2, true],
      [3, false],
      [4, false],
      [5, false],
    ]);
    await store.close();
  });

  it("a repeat in the chain appends nothing and is answered as one; the commands after it still append once each", async () => {
    const { store, repository } = open("repeat");
    await repository.execute("apikey-r", { type: "Bump" }, meta("r0"));
    await repository.execute("apikey-r", { type: "Bump" }, meta("r1"));
    const [first, repeat, last] = await Promise.all([
      repository.execute("apikey-r", { type: "Bump" }, meta("r2")),
      repository.execute("apikey-r", { type: "Bump" }, meta("r1")),
      repository.execute("apikey-r", { type: "Bump" }, meta("r3")),
    ]);
    expect(first).toMatchObject({ version: 3, duplicate: false });
    expect(repeat).toMatchObject({ version: 2, duplicate: true });
    expect(last).toMatchObject({ state: { count: 4 }, version: 4, duplicate: false });
    expect((await store.readStream("apikey-r")).map((event) => event.version)).toEqual([1, 2, 3, 4]);
    await store.close();
  });

  it("a command deciding nothing on the chain's state is decided again alone, after the appends before it", async () => {
    const { store, repository } = open("nothing");
    const [bump, conditional, again] = await Promise.all([
      repository.execute("apikey-n", { type: "Bump" }, meta("n1")),
      repository.execute("apikey-n", { type: "BumpIfAtLeast", count: 1 }, meta("n2")),
      repository.execute("apikey-n", { type: "BumpIfAtLeast", count: 5 }, meta("n3")),
    ]);
    expect(bump).toMatchObject({ version: 1 });
    expect(conditional).toMatchObject({ state: { count: 2 }, version: 2 });
    expect(again).toMatchObject({ state: { count: 2 }, version: 2, events: [] });
    await store.close();
  });
});
