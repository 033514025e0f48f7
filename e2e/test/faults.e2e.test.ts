import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

describe.skipIf(!nats.url)("faults lose nothing and charge nothing twice", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!, { simulatorJobMs: 1500 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("a poller killed (SIGKILL) mid-job and started again completes the job and charges it once", async () => {
    const { accountId, client } = await platform.account("2");
    const created = await client.videos.create({ prompt: "survives a crash", seconds: "4" });
    await waitFor(
      "the job to be in flight",
      async () => (await client.videos.retrieve(created.id)).status === "in_progress",
      {
        timeoutMs: 20_000,
      },
    );
    await platform.stopService("poller", "SIGKILL");
    await platform.startService("poller");
    const done = await waitForEnd(client, created.id);
    expect(done.status).toBe("completed");
    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "1.600000" });
  });

  it("every event delivered twice to every consumer changes nothing: same videos, same ledger, same files", async () => {
    // A second copy of every event, under another message id so JetStream does not drop it as a duplicate.
    const nc = await connect({ servers: nats.url! });
    const subscription = nc.subscribe(`${platform.namespace}.events.>`, {
      callback: (_error, message) => {
        if (message.headers?.get("Reelgate-Copy")) return;
        const headers = natsHeaders();
        headers.set("Reelgate-Copy", "1");
        headers.set("Nats-Msg-Id", `${message.headers?.get("Nats-Msg-Id") ?? message.subject}-copy`);
        nc.publish(message.subject, message.data, { headers });
      },
    });
    try {
      const { accountId, client } = await platform.account("10");
      const specs = [
        { prompt: "twice one", seconds: "4" as const },
        { prompt: "twice two", seconds: "8" as const },
        { prompt: "[fail] twice three", seconds: "12" as const },
      ];
      const created = await Promise.all(specs.map((spec) => client.videos.create(spec)));
      const ended = await Promise.all(created.map((video) => waitForEnd(client, video.id)));
      expect(ended.map((video) => video.status)).toEqual(["completed", "completed", "failed"]);
      await waitFor(
        "every reservation to end",
        async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
      );
      // 0.4 + 0.8 charged; the failed 1.2 released.
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "8.800000", reserved_usd: "0.000000" });

      const billingVideos = (await Promise.all(
        created.map(async (video) => [video.id, await countEventsFor(platform, video.id)] as const),
      )) as Array<readonly [string, Record<string, number>]>;
      expect(Object.fromEntries(billingVideos)).toEqual({
        [created[0]!.id]: { FundsReserved: 1, ReservationCaptured: 1 },
        [created[1]!.id]: { FundsReserved: 1, ReservationCaptured: 1 },
        [created[2]!.id]: { FundsReserved: 1, ReservationReleased: 1 },
      });
      const objects = fileStorage(join(platform.dataDir, "media"));
      for (const video of created.slice(0, 2)) {
        const keys = (await objects.list(`videos/${accountId}/`)).filter((key) => key.includes(video.id));
        expect(keys.filter((key) => key.endsWith("/video.mp4"))).toHaveLength(1);
        const downloaded = Buffer.from(await (await client.videos.downloadContent(video.id)).arrayBuffer());
        const stored = readFileSync(join(platform.dataDir, "media", keys.find((key) => key.endsWith("/video.mp4"))!));
        expect(createHash("sha256").update(downloaded).digest("hex")).toBe(
          createHash("sha256").update(stored).digest("hex"),
        );
      }
    } finally {
      subscription.unsubscribe();
      await nc.close();
    }
  });

  it("the rebuilt read model equals the live one for every video", async () => {
    const cli = (command: string) =>
      run(process.execPath, [join(repoRoot, "tools/cli/src/main.ts"), command, "--quiet"], {
        env: { ...process.env, REELGATE_DATA_DIR: platform.dataDir },
      });
    const verified = await cli("verify");
    expect(verified.stdout).toMatch(/: 0 differ/);
    const { client } = await platform.account("1");
    const created = await client.videos.create({ prompt: "rebuilt", seconds: "4" });
    const live = await waitForEnd(client, created.id);
    const rebuilt = await cli("rebuild");
    expect(rebuilt.stdout).toMatch(/rebuilt the task read model from \d+ events/);
    expect(await client.videos.retrieve(created.id)).toEqual(live);
    expect((await cli("verify")).stdout).toMatch(/: 0 differ/);
  });
});

/** How many of each billing event the account ledger holds for one video. */
const countEventsFor = async (platform: Platform, videoId: string) => {
  const store = openSqliteEventStore(join(platform.dataDir, "billing.events.db"));
  const counts: Record<string, number> = {};
  try {
    for await (const event of store.readAll()) {
      if ((event.data as { videoId?: string }).videoId === videoId) counts[event.type] = (counts[event.type] ?? 0) + 1;
    }
  } finally {
    await store.close();
  }
  return counts;
};
