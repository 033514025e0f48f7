import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type EventData, newAccountId, newVideoId, type TypedEnvelope } from "@reelgate/contracts";
import { MAX_EVENTS_PER_COMMIT, openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage, mediaPrefix, type ObjectStorage } from "@reelgate/object-storage";
import { buildSimulator } from "@reelgate/simulator";
import { listenOnFreePort, waitFor } from "@reelgate/testkit";
import { type Channel, openAiProvider, providerFor, simulatorChannel } from "@reelgate/upstream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assetRecords } from "../src/handlers/asset-records.ts";
import { copyMedia } from "../src/handlers/copy-media.ts";
import { deleteMedia } from "../src/handlers/delete-media.ts";

const MAX_ATTEMPTS = 3;

/** The copy use case on a real SQLite store, real files and the upstream simulator over HTTP. */
describe("copying media from the upstream", () => {
  let simulator: FastifyInstance;
  let channel: Channel;
  let dir: string;
  let objects: ObjectStorage;
  let records: ReturnType<typeof assetRecords>;
  let copy: ReturnType<typeof copyMedia>;

  beforeAll(async () => {
    simulator = await buildSimulator({ jobDurationMs: 0 });
    await simulator.listen({ port: 0, host: "127.0.0.1" });
    const { port } = simulator.server.address() as { port: number };
    channel = { ...simulatorChannel(`http://127.0.0.1:${port}/v1`, ["sora-2"]), id: "sim" };
  });
  afterAll(async () => {
    await simulator?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-copy-"));
    objects = fileStorage(join(dir, "media"));
    records = assetRecords({
      store: openSqliteEventStore(join(dir, "events.db")),
      now: () => new Date(),
      onAppended: () => undefined,
    });
    copy = copyMedia({ records, objects, channels: () => [channel], providerFor, maxAttempts: MAX_ATTEMPTS });
    return () => rmSync(dir, { recursive: true, force: true });
  });

  const setFaults = (faults: object) =>
    simulator.inject({ method: "POST", url: "/_control/faults", payload: faults }).then(() => undefined);

  /** A finished upstream job, and the JobCompleted that storage receives for it. */
  const completedJob = async (): Promise<TypedEnvelope & { type: "JobCompleted" }> => {
    const { upstreamId } = await openAiProvider(channel).submit({
      model: "sora-2",
      prompt: "copy me",
      seconds: "4",
      size: "720x1280",
      idempotencyKey: newVideoId(),
    });
    const videoId = newVideoId();
    const data: EventData<"JobCompleted"> = {
      videoId,
      channelId: channel.id,
      upstreamId,
      model: "sora-2",
      seconds: "4",
      size: "720x1280",
      variants: ["video", "thumbnail", "spritesheet"],
      completedAt: Math.floor(Date.now() / 1000),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    };
    return {
      id: `evt_${videoId}`,
      type: "JobCompleted",
      schemaVersion: 1,
      stream: `job-${videoId}`,
      version: 3,
      occurredAt: new Date().toISOString(),
      correlationId: videoId,
      causationId: null,
      accountId: newAccountId(),
      data,
    };
  };

  const upstreamSha = async (upstreamId: string, variant: string) =>
    (await simulator.inject({ url: `/_control/jobs/${upstreamId}/sha256?variant=${variant}` })).json() as {
      sha256: string;
      bytes: number;
    };

  it("copies every variant with the upstream's exact bytes", async () => {
    const job = await completedJob();
    await copy(job, 1);
    const { state } = await records.load(job.data.videoId);
    expect([...state.stored.keys()].sort()).toEqual(["spritesheet", "thumbnail", "video"]);
    for (const [variant, key] of state.stored) {
      const stored = await objects.get(key);
      const hash = createHash("sha256");
      for await (const chunk of stored!.body) hash.update(chunk as Buffer);
      expect(hash.digest("hex")).toBe((await upstreamSha(job.data.upstreamId, variant)).sha256);
    }
  });

  it("records the video in its own commit and the thumbnail and spritesheet together; a redelivery appends nothing", async () => {
    const job = await completedJob();
    await copy(job, 1);
    await copy(job, 2);
    const store = openSqliteEventStore(join(dir, "events.db"));
    try {
      const events = await store.readStream(`asset-${job.data.videoId}`);
      const commitOf = (variant: string) => {
        const event = events.find((candidate) => (candidate.data as { variant?: string }).variant === variant);
        return event && Math.floor(event.position / MAX_EVENTS_PER_COMMIT);
      };
      expect(events.map((event) => event.type)).toEqual(["MediaStored", "MediaStored", "MediaStored"]);
      expect(commitOf("thumbnail")).toBeDefined();
      expect(commitOf("spritesheet")).toBe(commitOf("thumbnail"));
      expect(commitOf("video")).not.toBe(commitOf("thumbnail"));
    } finally {
      await store.close();
    }
  });

  it("retries a download that broke off, and stores the whole video on the next attempt", async () => {
    await setFaults({ brokenDownloads: 1, videoBytes: 2 * 1024 * 1024 });
    try {
      const job = await completedJob();
      await expect(copy(job, 1)).rejects.toThrow();
      expect((await records.load(job.data.videoId)).state.stored.has("video")).toBe(false);
      expect(await objects.incomplete("videos/")).toEqual([]);
      await copy(job, 2);
      const stored = (await records.load(job.data.videoId)).state.stored.get("video")!;
      expect((await objects.head(stored))?.bytes).toBe(2 * 1024 * 1024);
    } finally {
      await setFaults({ brokenDownloads: 0, videoBytes: undefined });
      await simulator.inject({ method: "DELETE", url: "/_control/faults" });
    }
  });

  it("only a redelivery looks for what a killed copy left, and removes it", async () => {
    const looked: string[] = [];
    const watched: ObjectStorage = {
      ...objects,
      removeIncomplete: (prefix, options) => {
        looked.push(prefix);
        return objects.removeIncomplete(prefix, options);
      },
    };
    const copyWatched = copyMedia({
      records,
      objects: watched,
      channels: () => [channel],
      providerFor,
      maxAttempts: 3,
    });
    await copyWatched(await completedJob(), 1);
    expect(looked).toEqual([]);

    // A copy killed mid-write leaves its partial file beside the target; its message comes back.
    const job = await completedJob();
    const place = { accountId: job.accountId!, videoId: job.data.videoId, at: new Date(job.data.completedAt * 1000) };
    const orphan = join(dir, "media", `${mediaPrefix(place)}video.mp4.0a1b2c3d4e5f.partial`);
    mkdirSync(dirname(orphan), { recursive: true });
    writeFileSync(orphan, "half a video");
    expect(await objects.incomplete(mediaPrefix(place))).toHaveLength(1);
    await copyWatched(job, 2);
    expect(looked).toHaveLength(3);
    expect(await objects.incomplete(mediaPrefix(place))).toEqual([]);
    expect([...(await records.load(job.data.videoId)).state.stored.keys()]).toContain("video");
  });

  it("records a copy that failed on its last attempt, with the upstream job as fallback", async () => {
    await setFaults({ brokenDownloads: 1 });
    try {
      const job = await completedJob();
      await copy(job, MAX_ATTEMPTS);
      const { state } = await records.load(job.data.videoId);
      expect(state.failed.get("video")).toMatch(/terminated|broke|bytes/);
      expect([...state.stored.keys()].sort()).toEqual(["spritesheet", "thumbnail"]);
      const store = openSqliteEventStore(join(dir, "events.db"));
      const failed = (await store.readStream(`asset-${job.data.videoId}`)).find(
        (event) => event.type === "MediaStorageFailed",
      );
      expect(failed?.data).toMatchObject({
        variant: "video",
        fallback: { channelId: "sim", upstreamId: job.data.upstreamId, expiresAt: job.data.expiresAt },
      });
      await store.close();
    } finally {
      await simulator.inject({ method: "DELETE", url: "/_control/faults" });
    }
  });

  it("copies nothing for a video deleted before its job completed, and undoes a copy that raced the delete", async () => {
    const remove = deleteMedia({ records, objects });
    const job = await completedJob();
    await remove({
      videoId: job.data.videoId,
      accountId: job.accountId,
      reason: "deleted by its owner",
      causationId: null,
    });
    await copy(job, 1);
    expect(await objects.list("videos/")).toEqual([]);

    // The delete lands while the copy streams: the stored object is removed when its record is refused.
    // The simulator sizes a job's video when the job is made: the fault goes first, so that this video is large
    // enough to still be streaming when the delete lands.
    await setFaults({ videoBytes: 8 * 1024 * 1024, latencyMs: 0 });
    try {
      const racing = await completedJob();
      const copying = copy(racing, 1);
      await waitFor("the copy to be under way", async () => (await objects.incomplete("videos/")).length > 0, {
        intervalMs: 1,
      }).catch(() => undefined);
      await remove({ videoId: racing.data.videoId, accountId: racing.accountId, reason: "owner", causationId: null });
      await copying;
      expect(await objects.list("videos/")).toEqual([]);
      expect(await objects.incomplete("videos/")).toEqual([]);
    } finally {
      await simulator.inject({ method: "DELETE", url: "/_control/faults" });
    }
  });

  it("waits for a channel this process has not seen yet (the file is re-read), then copies through it", async () => {
    let known: Channel[] = [];
    const live = copyMedia({ records, objects, channels: () => known, providerFor, maxAttempts: MAX_ATTEMPTS });
    const job = await completedJob();
    await expect(live(job, 1)).rejects.toThrow(/channel sim is not in the channels file/);
    expect((await records.load(job.data.videoId)).state.failed.size).toBe(0);
    known = [channel];
    await live(job, 2);
    expect([...(await records.load(job.data.videoId)).state.stored.keys()].sort()).toEqual([
      "spritesheet",
      "thumbnail",
      "video",
    ]);
  });

  it("records a channel still unknown on the last attempt as gone", async () => {
    const live = copyMedia({ records, objects, channels: () => [], providerFor, maxAttempts: MAX_ATTEMPTS });
    const job = await completedJob();
    await live(job, MAX_ATTEMPTS);
    const { state } = await records.load(job.data.videoId);
    expect(state.failed.get("video")).toBe("channel sim is gone");
  });

  it("stores nothing from a download the upstream redirects to another host, and never connects there", async () => {
    let connections = 0;
    const forbidden = createServer((_req, res) => res.end("internal secrets"));
    forbidden.on("connection", () => connections++);
    const port = await listenOnFreePort(forbidden, "127.0.0.2");
    await setFaults({ contentRedirectUrl: `http://127.0.0.2:${port}/latest/meta-data/` });
    try {
      const job = await completedJob();
      // A refusal is final: recorded on the first attempt, not retried.
      await copy(job, 1);
      const { state } = await records.load(job.data.videoId);
      expect(state.stored.size).toBe(0);
      expect(state.failed.get("video")).toMatch(/may not fetch/);
      expect(await objects.list("videos/")).toEqual([]);
      expect(connections).toBe(0);
    } finally {
      await simulator.inject({ method: "DELETE", url: "/_control/faults" });
      forbidden.closeAllConnections();
      forbidden.close();
    }
  });

  it("stores the type the bytes are, whatever the upstream's header says", async () => {
    const lying: typeof providerFor = (target) => {
      const provider = providerFor(target);
      return {
        ...provider,
        content: async (id, variant) => ({ ...(await provider.content(id, variant)), contentType: "text/html" }),
      };
    };
    const copyLying = copyMedia({ records, objects, channels: () => [channel], providerFor: lying, maxAttempts: 1 });
    const job = await completedJob();
    await copyLying(job, 1);
    const stored = (await records.load(job.data.videoId)).state.stored.get("video");
    expect(stored).toMatch(/video\.mp4$/);
    expect((await objects.head(stored!))?.contentType).toBe("video/mp4");
  });
});
