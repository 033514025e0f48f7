import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { natsNames } from "@reelgate/contracts";
import { fileStorage } from "@reelgate/object-storage";
import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COPY_HEADER,
  countEventsFor,
  duplicateEveryEvent,
  eventsFor,
  type Platform,
  startPlatform,
  waitForConsumersIdle,
  waitForEnd,
} from "./platform.ts";

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
    const specs = [
      { prompt: "twice one", seconds: "4" as const },
      { prompt: "twice two", seconds: "8" as const },
      { prompt: "[fail] twice three", seconds: "12" as const },
    ];
    const ids = (videos: Array<{ id: string }>) => videos.map((video) => video.id);

    // The expectation: the same requests with single delivery, on the same platform.
    const single = await platform.account("10");
    const singleCreated = await Promise.all(specs.map((spec) => single.client.videos.create(spec)));
    await Promise.all(singleCreated.map((video) => waitForEnd(single.client, video.id)));
    await waitForConsumersIdle(platform);
    const expectedVideos = await Promise.all(singleCreated.map((video) => single.client.videos.retrieve(video.id)));
    const expectedEvents = await eventsByVideo(platform, ids(singleCreated));

    const nc = await connect({ servers: nats.url! });
    const jsm = await jetstreamManager(nc);
    const stream = natsNames(platform.namespace).eventsStream;
    const stopDuplicating = await duplicateEveryEvent(nats.url!, platform.namespace);
    const firstSeq = (await jsm.streams.info(stream)).state.last_seq + 1;
    try {
      const { accountId, client } = await platform.account("10");
      const created = await Promise.all(specs.map((spec) => client.videos.create(spec)));
      const ended = await Promise.all(created.map((video) => waitForEnd(client, video.id)));
      expect(ended.map((video) => video.status)).toEqual(["completed", "completed", "failed"]);
      // A video is completed once its video variant is stored; the thumbnail and spritesheet may follow.
      const variantsOf = async (videoId: string) => (await eventsFor(platform, "storage", videoId)).length;
      await waitFor("every variant of the completed videos stored", async () => {
        const counts = await Promise.all(ids(created.slice(0, 2)).map(variantsOf));
        return counts.every((count) => count >= 3);
      });
      const filesAtEnd = await storedFiles(platform, accountId, ids(created.slice(0, 2)));

      // Every event of this run is on the stream twice, and every consumer has worked through both copies.
      await waitFor(
        "a copy of every event on the stream",
        async () => {
          const { originals, copies } = await copiesSince(jsm, stream, firstSeq);
          return originals > 0 && originals === copies;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      const consumers = await waitForConsumersIdle(platform);
      expect(consumers.length).toBeGreaterThanOrEqual(4);
      const { originals, copies } = await copiesSince(jsm, stream, firstSeq);
      expect(copies).toBe(originals);

      // The read model: the whole Video documents, unchanged by the copies and as with single delivery.
      const videos = await Promise.all(created.map((video) => client.videos.retrieve(video.id)));
      expect(videos).toEqual(ended);
      expect(videos.map(comparable)).toEqual(expectedVideos.map(comparable));
      const verified = await run(process.execPath, [join(repoRoot, "tools/cli/src/main.ts"), "verify", "--quiet"], {
        env: { ...process.env, REELGATE_DATA_DIR: platform.dataDir },
      });
      expect(verified.stdout).toMatch(/: 0 differ/);

      // The ledger: 0.4 + 0.8 charged; the failed 1.2 released; one reservation and one settlement each.
      await waitFor(
        "every reservation to end",
        async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
      );
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "8.800000", reserved_usd: "0.000000" });
      expect(await platform.balance(accountId)).toMatchObject({
        balance_usd: (await platform.balance(single.accountId)).balance_usd,
      });

      // Task, account, job and asset events: one of each per video (one MediaStored per variant), as with single delivery.
      // JobProgressed is left out of the comparison: how many there are depends on when the polls land.
      const events = await eventsByVideo(platform, ids(created));
      expect(Object.values(events).map(withoutProgress)).toEqual(Object.values(expectedEvents).map(withoutProgress));
      const [first, second, third] = ids(created) as [string, string, string];
      for (const videoId of [first, second]) {
        expect(events[videoId]).toEqual({
          ingress: { VideoRequested: 1 },
          billing: { FundsReserved: 1, ReservationCaptured: 1 },
          poller: expect.objectContaining({ JobQueued: 1, JobSubmitted: 1, JobCompleted: 1 }),
          storage: { MediaStored: expectedEvents[ids(singleCreated)[0]!]?.storage?.MediaStored },
        });
        const stored = (await eventsFor(platform, "storage", videoId)).map(
          (event) => event.data as { variant: string },
        );
        expect(stored.map((data) => data.variant).sort()).toEqual(
          [...new Set(stored.map((data) => data.variant))].sort(),
        );
        expect(stored.map((data) => data.variant)).toContain("video");
      }
      expect(events[third]).toEqual({
        ingress: { VideoRequested: 1 },
        billing: { FundsReserved: 1, ReservationReleased: 1 },
        poller: expect.objectContaining({ JobQueued: 1, JobSubmitted: 1, JobFailed: 1 }),
        storage: {},
      });
      expect(Object.keys(events[third]!.poller!)).not.toContain("JobCompleted");
      // Progress events: none repeated, and only ever rising (a redelivered poll appends nothing it already did).
      for (const videoId of ids(created)) {
        const progress = (await eventsFor(platform, "poller", videoId))
          .filter((event) => event.type === "JobProgressed")
          .map((event) => (event.data as { progress: number }).progress);
        expect(progress).toEqual([...new Set(progress)].sort((a, b) => a - b));
      }

      // The stored files: one copy of each variant, the same bytes as when the video completed, the sha256 its
      // MediaStored event recorded, and what the API serves.
      const files = await storedFiles(platform, accountId, ids(created.slice(0, 2)));
      expect(files).toEqual(filesAtEnd);
      for (const video of created.slice(0, 2)) {
        const stored = (await eventsFor(platform, "storage", video.id)).map(
          (event) => event.data as { key: string; sha256: string },
        );
        expect(Object.fromEntries(Object.entries(files).filter(([key]) => key.includes(video.id)))).toEqual(
          Object.fromEntries(stored.map((data) => [data.key, data.sha256])),
        );
        const mp4 = Object.keys(files).filter((key) => key.includes(video.id) && key.endsWith("/video.mp4"));
        expect(mp4).toHaveLength(1);
        const downloaded = Buffer.from(await (await client.videos.downloadContent(video.id)).arrayBuffer());
        expect(sha256(downloaded)).toBe(files[mp4[0]!]);
      }
    } finally {
      await stopDuplicating();
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

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Per video, per service: how many events of each type its event store holds. */
const eventsByVideo = async (platform: Platform, videoIds: string[]) => {
  const byVideo: Record<string, Record<string, Record<string, number>>> = {};
  for (const videoId of videoIds) {
    byVideo[videoId] = {};
    for (const service of ["ingress", "billing", "poller", "storage"] as const) {
      byVideo[videoId][service] = await countEventsFor(platform, service, videoId);
    }
  }
  return byVideo;
};

const withoutProgress = (byService: Record<string, Record<string, number>>) =>
  Object.fromEntries(
    Object.entries(byService).map(([service, counts]) => {
      const { JobProgressed: _progress, ...rest } = counts;
      return [service, rest];
    }),
  );

/** Every stored object of these videos, key → sha256 of its bytes. */
const storedFiles = async (platform: Platform, accountId: string, videoIds: string[]) => {
  const objects = fileStorage(join(platform.dataDir, "media"));
  const keys = (await objects.list(`videos/${accountId}/`)).filter((key) => videoIds.some((id) => key.includes(id)));
  return Object.fromEntries(
    keys.sort().map((key) => [key, sha256(readFileSync(join(platform.dataDir, "media", key)))] as const),
  );
};

/** A Video without what differs between two requests made alike: its id and its timestamps. */
const comparable = (video: object) => {
  const { id, created_at, completed_at, expires_at, ...rest } = video as Record<string, unknown>;
  return {
    ...rest,
    id: typeof id,
    created_at: typeof created_at,
    completed_at: typeof completed_at,
    expires_at: typeof expires_at,
  };
};

/** Messages on the stream from `firstSeq` on: originals, and the copies the test published. */
const copiesSince = async (jsm: JetStreamManager, stream: string, firstSeq: number) => {
  const { state } = await jsm.streams.info(stream);
  let originals = 0;
  let copies = 0;
  for (let seq = Math.max(firstSeq, state.first_seq); seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!message) continue;
    if (message.header?.get(COPY_HEADER)) copies++;
    else originals++;
  }
  return { originals, copies };
};
