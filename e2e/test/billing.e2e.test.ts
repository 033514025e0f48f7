import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type Envelope, formatUsd } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { testNats, waitFor } from "@reelgate/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duplicateEveryEvent, type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
/** sora-2, 4 seconds: SPEC.md §3's 0.10 per second. */
const PRICE_MICROS = 400_000;

interface Totals {
  balanceMicros: number;
  reservedMicros: number;
  videoId?: string;
  amountMicros?: number;
}

/** A create's answer: a Video, or an error. */
interface CreateAnswer {
  id?: string;
  error?: { code: string | null };
}

/** Every billing event of one account, as billing stored them. */
const ledgerOf = async (platform: Platform, accountId: string) => {
  const store = openSqliteEventStore(join(platform.dataDir, "billing.events.db"));
  try {
    return (await store.readStream(`account-${accountId}`)) as Array<Envelope<Totals>>;
  } finally {
    await store.close();
  }
};

/** Per video: how many of each billing event it has. */
const byVideo = (events: Array<Envelope<Totals>>) => {
  const videos = new Map<string, Record<string, number>>();
  for (const event of events) {
    if (!event.data.videoId) continue;
    const counts = videos.get(event.data.videoId) ?? {};
    counts[event.type] = (counts[event.type] ?? 0) + 1;
    videos.set(event.data.videoId, counts);
  }
  return videos;
};

const ledgerCli = (platform: Platform, command: string) =>
  run(process.execPath, [join(repoRoot, "tools/cli/src/main.ts"), "ledger", command, "--quiet"], {
    env: { ...process.env, REELGATE_DATA_DIR: platform.dataDir },
  }).then(
    (done) => ({ code: 0, stdout: done.stdout }),
    (failed: { code: number; stdout: string }) => ({ code: failed.code, stdout: failed.stdout }),
  );

describe.skipIf(!nats.url)("billing keeps an exact ledger", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!, { simulatorJobMs: 200 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("two hundred concurrent creates on a balance for one hundred: one hundred charged, the rest refused or rejected, the balance ends at zero", async () => {
    const { accountId, key } = await platform.account(formatUsd(100 * PRICE_MICROS));
    const create = (n: number) =>
      fetch(`${platform.url}/v1/videos`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "sora-2", prompt: `race ${n}`, seconds: "4", size: "720x1280" }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as CreateAnswer }));
    const answers = await Promise.all(Array.from({ length: 200 }, (_, n) => create(n)));

    const created = answers.filter((answer) => answer.status === 200 || answer.status === 201);
    const refused = answers.filter((answer) => answer.status === 402);
    expect(created.length + refused.length).toBe(200);
    expect(created.length).toBeGreaterThanOrEqual(100);
    for (const answer of refused) expect(answer.body.error).toMatchObject({ code: "insufficient_quota" });

    const sdk = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
    const ended = await Promise.all(created.map((answer) => waitForEnd(sdk, answer.body.id!, 90_000)));
    expect(ended.filter((video) => video.status === "completed")).toHaveLength(100);
    for (const video of ended.filter((video) => video.status === "failed"))
      expect(video.error).toMatchObject({ code: "insufficient_quota" });

    await waitFor(
      "every reservation to end",
      async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
    );
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "0.000000", reserved_usd: "0.000000" });

    const events = await ledgerOf(platform, accountId);
    for (const event of events) {
      expect(event.data.balanceMicros).toBeGreaterThanOrEqual(0);
      expect(event.data.balanceMicros - event.data.reservedMicros).toBeGreaterThanOrEqual(0);
    }
    const videos = byVideo(events);
    const settled = [...videos.values()];
    expect(settled.filter((counts) => counts.FundsReserved === 1 && counts.ReservationCaptured === 1)).toHaveLength(
      100,
    );
    expect(
      settled.filter((counts) => counts.ReservationRejected === 1 && Object.keys(counts).length === 1),
    ).toHaveLength(created.length - 100);
    expect(videos.size).toBe(created.length);
  });

  it("billing killed mid-run and every event delivered twice: each reservation ends once, replayed balances equal live ones", async () => {
    const stopDuplicating = await duplicateEveryEvent(nats.url!, platform.namespace);
    try {
      const { accountId, client } = await platform.account("20");
      const prompt = (n: number) => (n % 5 === 0 ? `[fail] ledger ${n}` : `ledger ${n}`);
      const first = await Promise.all(
        Array.from({ length: 15 }, (_, n) => client.videos.create({ prompt: prompt(n), seconds: "4" })),
      );
      await platform.stopService("billing", "SIGKILL");
      const second = await Promise.all(
        Array.from({ length: 15 }, (_, n) => client.videos.create({ prompt: prompt(n + 15), seconds: "4" })),
      );
      await platform.startService("billing");
      const ended = await Promise.all([...first, ...second].map((video) => waitForEnd(client, video.id, 90_000)));
      expect(ended.filter((video) => video.status === "failed")).toHaveLength(6);

      // 24 completed at 0.40, 6 failed and released.
      await waitFor(
        "every reservation to end",
        async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
      );
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "10.400000", reserved_usd: "0.000000" });

      const videos = byVideo(await ledgerOf(platform, accountId));
      expect(videos.size).toBe(30);
      for (const video of ended) {
        const expected =
          video.status === "completed"
            ? { FundsReserved: 1, ReservationCaptured: 1 }
            : { FundsReserved: 1, ReservationReleased: 1 };
        expect({ id: video.id, counts: videos.get(video.id) }).toEqual({ id: video.id, counts: expected });
      }
      const verified = await ledgerCli(platform, "verify");
      expect(verified).toMatchObject({ code: 0 });
      expect(verified.stdout).toMatch(/; 0 open reservations \(0\.000000 USD\); 0 mismatches/);
      expect(await ledgerCli(platform, "replay")).toMatchObject({ code: 0 });
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "10.400000", reserved_usd: "0.000000" });
      expect(await ledgerCli(platform, "verify")).toMatchObject({ code: 0 });
    } finally {
      await stopDuplicating();
    }
  });

  it("never charges more than the quote: a job that reports 8 s for a 4 s request is charged 0.40 with 0.40 overage recorded; a remix is quoted from what was made", async () => {
    const { accountId, client } = await platform.account("5");
    const source = await client.videos.create({ prompt: "[made-seconds=8] longer than asked", seconds: "4" });
    expect((await waitForEnd(client, source.id)).status).toBe("completed");
    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "4.600000" });

    const remix = await client.videos.remix(source.id, { prompt: "again, longer" });
    expect((await waitForEnd(client, remix.id)).status).toBe("completed");
    await waitFor("the remix's capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "3.800000" });

    const events = await ledgerOf(platform, accountId);
    const of = (videoId: string, type: string) =>
      events.find((event) => event.data.videoId === videoId && event.type === type)?.data;
    expect(of(source.id, "FundsReserved")).toMatchObject({ amountMicros: 400_000 });
    expect(of(source.id, "ReservationCaptured")).toMatchObject({
      quotedMicros: 400_000,
      amountMicros: 400_000,
      overageMicros: 400_000,
      seconds: "8",
    });
    expect(of(remix.id, "FundsReserved")).toMatchObject({ amountMicros: 800_000 });
    expect(of(remix.id, "ReservationCaptured")).toMatchObject({ quotedMicros: 800_000, amountMicros: 800_000 });
    expect(of(remix.id, "ReservationCaptured")).not.toHaveProperty("overageMicros");
    expect(await ledgerCli(platform, "verify")).toMatchObject({ code: 0 });
  });
});

describe.skipIf(!nats.url)("billing with charge_overage: true in the pricing file", () => {
  let platform: Platform;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-pricing-"));
    const pricingFile = join(dir, "pricing.yaml");
    writeFileSync(
      pricingFile,
      'charge_overage: true\nmodels:\n  - model: sora-2\n    seconds: [4, 8, 12]\n    sizes: [720x1280, 1280x720]\n    usd_per_second: "0.10"\n',
    );
    platform = await startPlatform(nats.url!, { simulatorJobMs: 200, env: { REELGATE_PRICING_FILE: pricingFile } });
  });
  afterAll(async () => {
    await platform?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a job that reports 8 s for a 4 s request is charged 0.80 with 0.40 quoted; one past the balance is charged the balance, never below zero", async () => {
    const { accountId, client } = await platform.account("5");
    const longer = await client.videos.create({ prompt: "[made-seconds=8] longer than asked", seconds: "4" });
    expect((await waitForEnd(client, longer.id)).status).toBe("completed");
    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "4.200000" });
    const captured = (await ledgerOf(platform, accountId)).find((event) => event.type === "ReservationCaptured");
    expect(captured?.data).toMatchObject({ quotedMicros: 400_000, amountMicros: 800_000 });
    expect(captured?.data).not.toHaveProperty("overageMicros");

    // 0.50 left: quoted 0.40, reported 12 s (1.20): charged the 0.50 there is, 0.70 recorded as overage.
    const poor = await platform.account("0.5");
    const past = await poor.client.videos.create({ prompt: "[made-seconds=12] far longer", seconds: "4" });
    expect((await waitForEnd(poor.client, past.id)).status).toBe("completed");
    await waitFor("the capture", async () => (await platform.balance(poor.accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(poor.accountId)).toMatchObject({ balance_usd: "0.000000" });
    const last = (await ledgerOf(platform, poor.accountId)).find((event) => event.type === "ReservationCaptured");
    expect(last?.data).toMatchObject({ quotedMicros: 400_000, amountMicros: 500_000, overageMicros: 700_000 });
    expect(await ledgerCli(platform, "verify")).toMatchObject({ code: 0 });
  });
});
