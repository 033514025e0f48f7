import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteEventStore } from "@reelgate/event-store";
import { afterAll, describe, expect, it } from "vitest";
import { commitElsewhere } from "../../event-store/test/commit-elsewhere.ts";
import { aggregateRepository } from "../src/index.ts";
import { counter, counterMeta } from "./counter-aggregate.ts";

const meta = (n: number) => counterMeta(`bump-${n}`);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const dir = mkdtempSync(join(tmpdir(), "reelgate-stale-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("aggregate decisions on a read that missed another connection's commit of the same turn", () => {
  it("a decision to append is refused by its expected version and made again on the new state", async () => {
    const path = join(dir, "append.db");
    const store = openSqliteEventStore(path);
    const repository = aggregateRepository(store, counter);
    await repository.execute("apikey-a", { type: "Bump" }, meta(1));
    await nextTurn();
    // This turn's check for other connections' commits is made, then another connection commits.
    await store.readStream("apikey-a", 1, undefined, { forAppend: true });
    commitElsewhere(path, "apikey-a", 2, "elsewhere-a2");
    const decision = await repository.execute("apikey-a", { type: "Bump" }, meta(3));
    expect(decision).toMatchObject({ state: { count: 3 }, version: 3, duplicate: false });
    expect((await store.readStream("apikey-a")).map((event) => event.version)).toEqual([1, 2, 3]);
    await store.close();
  });

  it("a decision to append nothing is made again on the state as it is now", async () => {
    const path = join(dir, "nothing.db");
    const store = openSqliteEventStore(path);
    const repository = aggregateRepository(store, counter);
    await repository.execute("apikey-n", { type: "Bump" }, meta(1));
    await nextTurn();
    await store.readStream("apikey-n", 1, undefined, { forAppend: true });
    commitElsewhere(path, "apikey-n", 2, "elsewhere-n2");
    // On the missed read the count is 1 and nothing would be appended; on the real state it is 2.
    const decision = await repository.execute("apikey-n", { type: "BumpIfAtLeast", count: 2 }, meta(3));
    expect(decision).toMatchObject({ state: { count: 3 }, version: 3, duplicate: false });
    expect(decision.events).toHaveLength(1);
    await store.close();
  });
});
