import type { KV } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { testNats, uniqueNamespace } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openChannelBucket } from "../src/adapters/channel-bucket.ts";
import { channelSlots } from "../src/adapters/channel-slots.ts";

const nats = testNats();

/** The bucket, counting the writes the server refused because another admitter wrote the key first. */
const counting = (kv: KV) => {
  const counts = { refused: 0 };
  const refusedToo =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A) => {
      try {
        return await write(...args);
      } catch (error) {
        if (/wrong last sequence/i.test(String((error as Error).message))) counts.refused++;
        throw error;
      }
    };
  const wrapped = Object.create(kv) as KV;
  wrapped.create = refusedToo(kv.create.bind(kv));
  wrapped.update = refusedToo(kv.update.bind(kv));
  wrapped.delete = refusedToo(kv.delete.bind(kv));
  return { kv: wrapped, counts };
};

/**
 * Admission after an outage: a backlog of `admitters` videos all asking one channel for a slot at
 * once, from two replicas. Prints the refused compare-and-set writes per admission (the thrash);
 * asserts only that max_concurrent holds exactly.
 */
describe.skipIf(!nats.url)("channel admission under a backlog", () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: nats.url! });
  });
  afterAll(async () => {
    await nc?.close();
  });

  const admit = async (admitters: number, maxConcurrent: number) => {
    const namespace = uniqueNamespace("slots");
    const replicas = await Promise.all(
      [1, 2].map(async () => {
        const { kv, counts } = counting(await openChannelBucket(nc, namespace));
        return { slots: channelSlots(kv, { isDone: async () => false, now: Date.now }), counts };
      }),
    );
    const started = performance.now();
    // An admitter told "no room now" asks again, as the submit handler does (here at once), until it is in or
    // the server shows every slot taken. How often it must ask depends on how far the replicas' watches lag
    // (the machine's load), so the count of asks is printed, not asserted.
    let asks = 0;
    const admitter = async (index: number) => {
      const { slots } = replicas[index % 2]!;
      for (let ask = 1; ask <= 100; ask++) {
        asks++;
        if (await slots.acquire("busy", `video_${index}`, maxConcurrent)) return true;
        if ((await slots.holders("busy")).length >= maxConcurrent) return false;
      }
      return false;
    };
    const outcomes = await Promise.all(
      Array.from({ length: admitters }, (_, index) => admitter(index).catch((error: Error) => error)),
    );
    const ms = performance.now() - started;
    const refused = replicas.reduce((sum, { counts }) => sum + counts.refused, 0);
    const granted = outcomes.filter((outcome) => outcome === true).length;
    const gaveUp = outcomes.filter((outcome) => outcome instanceof Error).length;
    const holders = await replicas[0]!.slots.holders("busy");
    console.log(
      `admission: ${admitters} admitters on 2 replicas, max_concurrent ${maxConcurrent}: ${granted} admitted, ` +
        `${(refused / Math.max(granted, 1)).toFixed(2)} refused CAS writes per admission, ` +
        `${(refused / admitters).toFixed(2)} per admitter (${refused} in all), ` +
        `${(asks / admitters).toFixed(2)} asks per admitter, ${gaveUp} gave up, ${ms.toFixed(0)} ms`,
    );
    return { granted, gaveUp, holders };
  };

  for (const [admitters, maxConcurrent] of [
    [20, 20],
    [100, 100],
    [200, 200],
    [200, 25],
  ] as const) {
    it(`${admitters} admitters at once, max_concurrent ${maxConcurrent}: exactly ${Math.min(admitters, maxConcurrent)} admitted`, async () => {
      const { granted, gaveUp, holders } = await admit(admitters, maxConcurrent);
      expect(gaveUp).toBe(0);
      expect(granted).toBe(Math.min(admitters, maxConcurrent));
      expect(new Set(holders).size).toBe(granted);
    }, 120_000);
  }
});
