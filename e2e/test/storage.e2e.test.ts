import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Envelope } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage, signMediaUrl } from "@reelgate/object-storage";
import { testNats, waitFor } from "@reelgate/testkit";
import { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyPng } from "./images.ts";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
const SECRET = "e2e-signing-secret-8f3a1c9d2b7e4f60a5c8";

interface SimulatorJob {
  id: string;
  prompt: string;
}
interface Digest {
  sha256: string;
  bytes: number;
}

const sha256Of = async (response: Response) => {
  const hash = createHash("sha256");
  for await (const chunk of response.body!) hash.update(chunk);
  return hash.digest("hex");
};

/** What storage recorded about a video, read from its own event store. */
const assetEvents = async (platform: Platform, videoId: string) => {
  const store = openSqliteEventStore(join(platform.dataDir, "storage.events.db"));
  try {
    return (await store.readStream(`asset-${videoId}`)) as Envelope<Record<string, unknown>>[];
  } finally {
    await store.close();
  }
};

/** The simulator's own digest of what it serves for the job that a prompt made. */
const upstreamDigest = async (platform: Platform, prompt: string, variant = "video") => {
  const jobs = await platform.simulator<SimulatorJob[]>("/_control/jobs");
  const job = jobs.find((candidate) => candidate.prompt === prompt);
  if (!job) throw new Error(`no simulator job for '${prompt}'`);
  return platform.simulator<Digest>(`/_control/jobs/${job.id}/sha256?variant=${variant}`);
};

const setFaults = (platform: Platform, faults: object) =>
  platform.simulator("/_control/faults", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(faults),
  });

/** The video reports completed once its main video is settled; the smaller variants may still be on their way. */
const allStored = (platform: Platform, videoId: string) =>
  waitFor(`every variant of ${videoId} to be stored`, async () => {
    const stored = (await assetEvents(platform, videoId)).filter((event) => event.type === "MediaStored");
    return stored.length === 3 ? stored : undefined;
  });

/** The error body `/content` answers once the video's media is gone (it may take a moment). */
/**
 * The content's answer once ingress's read model has heard of the MediaDeleted: until then a GET finds the
 * files gone without knowing why (404 `content_gone`), which is the read model's lag, not the answer.
 */
const contentOnceDeleted = async (platform: Platform, key: string, videoId: string) =>
  waitFor("the content to answer 404 content_deleted", async () => {
    const answer = await fetch(`${platform.url}/v1/videos/${videoId}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (answer.status !== 404) return undefined;
    const body = (await answer.json()) as { error: { code: string } };
    return body.error.code === "content_deleted" ? body : undefined;
  });

const mediaObjects = (platform: Platform) => fileStorage(join(platform.dataDir, "media"));

describe.skipIf(!nats.url)("media storage", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!, { signingSecret: SECRET });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("copies every variant with size, type and sha256, and serves /content from our storage", async () => {
    const { key, client } = await platform.account("5");
    const prompt = "copied whole";
    const created = await client.videos.create({ prompt, seconds: "4" });
    expect((await waitForEnd(client, created.id)).status).toBe("completed");

    const stored = await allStored(platform, created.id);
    expect(stored.map((event) => event.data.variant).sort()).toEqual(["spritesheet", "thumbnail", "video"]);
    for (const event of stored) {
      const upstream = await upstreamDigest(platform, prompt, String(event.data.variant));
      expect(event.data).toMatchObject({ sha256: upstream.sha256, bytes: upstream.bytes });
      expect(event.data.contentType).toBe(event.data.variant === "video" ? "video/mp4" : "image/png");
    }
    // The upstream is not asked again: /content comes from our copy.
    await platform.simulator("/_control/requests", { method: "DELETE" });
    const content = await fetch(`${platform.url}/v1/videos/${created.id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(content.status).toBe(200);
    expect(await sha256Of(content)).toBe((await upstreamDigest(platform, prompt)).sha256);
    const requests = await platform.simulator<Array<{ path?: string; url?: string }>>("/_control/requests");
    expect(requests.filter((request) => JSON.stringify(request).includes("/content"))).toEqual([]);
  });

  it("hands out a signed URL that plays without an API key, with Range, until it expires; tampered URLs get 403", async () => {
    const { key, client } = await platform.account("5");
    const prompt = "signed";
    const created = await client.videos.create({ prompt, seconds: "4" });
    await waitForEnd(client, created.id);
    const query = await fetch(`${platform.url}/v1/videos/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ video_id: created.id }),
    });
    const { video_result: url } = (await query.json()) as { video_result: string };
    expect(url).toMatch(
      new RegExp(`^${platform.url}/media/videos/.*/${created.id}/video\\.mp4\\?expires=\\d+&signature=`),
    );

    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(await sha256Of(whole)).toBe((await upstreamDigest(platform, prompt)).sha256);
    const part = await fetch(url, { headers: { range: "bytes=4-11" } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).toString("latin1")).toBe("ftypisom");

    const tampered = new URL(url);
    tampered.searchParams.set("signature", `${tampered.searchParams.get("signature")!.slice(0, -2)}xx`);
    expect((await fetch(tampered)).status).toBe(403);
    const extended = new URL(url);
    extended.searchParams.set("expires", String(Number(extended.searchParams.get("expires")) + 3600));
    const refused = await fetch(extended);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "invalid_signature" } });

    // A URL signed for two seconds works now, and answers 403 once they have passed.
    const keyOfVideo = decodeURIComponent(new URL(url).pathname.slice("/media/".length));
    const short = signMediaUrl({ publicUrl: platform.url, secret: SECRET, now: () => new Date() }, keyOfVideo, 2);
    expect((await fetch(short)).status).toBe(200);
    const expired = await waitFor(
      "the short URL to expire",
      async () => {
        const response = await fetch(short);
        return response.status === 403 ? response : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(await expired.json()).toMatchObject({ error: { code: "url_expired" } });
  });

  it("retries a download that breaks off halfway and stores exactly the upstream's bytes", async () => {
    const { client } = await platform.account("5");
    await setFaults(platform, { brokenDownloads: 1, videoBytes: 4 * 1024 * 1024 });
    const prompt = "broken halfway";
    try {
      const created = await client.videos.create({ prompt, seconds: "4" });
      expect((await waitForEnd(client, created.id)).status).toBe("completed");
      expect(await platform.simulator("/_control/faults")).toMatchObject({ brokenDownloads: 0 });
      const stored = (await assetEvents(platform, created.id)).find(
        (event) => event.type === "MediaStored" && event.data.variant === "video",
      );
      const upstream = await upstreamDigest(platform, prompt);
      expect(upstream.bytes).toBe(4 * 1024 * 1024);
      expect(stored?.data).toMatchObject({ sha256: upstream.sha256, bytes: upstream.bytes });
      expect(await mediaObjects(platform).incomplete("videos/")).toEqual([]);
    } finally {
      await platform.simulator("/_control/faults", { method: "DELETE" });
    }
  });

  it("storage killed (SIGKILL) mid-copy and restarted completes the copy once and leaves no partial object", async () => {
    const { accountId, client } = await platform.account("5");
    const size = 512 * 1024 * 1024;
    await setFaults(platform, { videoBytes: size });
    const prompt = "killed mid-copy";
    try {
      const created = await client.videos.create({ prompt, seconds: "4" });
      const objects = mediaObjects(platform);
      // The variants are fetched at once: the kill waits for the small ones to be whole, so it lands in the
      // video's copy alone (a kill inside a small one's write would leave that one's partial file too).
      const wholeVariant = (keys: string[], name: string) => keys.some((key) => key.endsWith(`/${name}`));
      await waitFor(
        "the video's copy to be under way, the thumbnail and spritesheet stored",
        async () => {
          const whole = await objects.list(`videos/${accountId}/`);
          return (
            wholeVariant(whole, "thumbnail.png") &&
            wholeVariant(whole, "spritesheet.png") &&
            (await objects.incomplete(`videos/${accountId}/`)).length > 0
          );
        },
        { timeoutMs: 30_000, intervalMs: 10 },
      );
      await platform.stopService("storage", "SIGKILL");
      expect((await objects.incomplete(`videos/${accountId}/`)).length).toBe(1); // the orphan a crash leaves
      await platform.startService("storage");

      expect((await waitForEnd(client, created.id, 90_000)).status).toBe("completed");
      const events = await allStored(platform, created.id);
      const videoStored = events.filter((event) => event.type === "MediaStored" && event.data.variant === "video");
      expect(videoStored).toHaveLength(1);
      expect(videoStored[0]!.data).toMatchObject({
        bytes: size,
        sha256: (await upstreamDigest(platform, prompt)).sha256,
      });
      expect(await objects.incomplete(`videos/${accountId}/`)).toEqual([]);
      const folder = String(videoStored[0]!.data.key).replace(/video\.mp4$/, "");
      expect(await objects.list(folder)).toEqual([
        `${folder}spritesheet.png`,
        `${folder}thumbnail.png`,
        `${folder}video.mp4`,
      ]);
    } finally {
      await platform.simulator("/_control/faults", { method: "DELETE" });
    }
  });

  it("deleting a video removes every object of it, its input image too, and records it", async () => {
    const { accountId, key, client } = await platform.account("5");
    const created = await client.videos.create({
      prompt: "to be deleted",
      seconds: "4",
      input_reference: await toFile(tinyPng, "frame.png", { type: "image/png" }),
    });
    await waitForEnd(client, created.id);
    await allStored(platform, created.id);
    const objects = mediaObjects(platform);
    const ofVideo = async () =>
      [...(await objects.list(`videos/${accountId}/`)), ...(await objects.list(`inputs/${accountId}/`))].filter((k) =>
        k.includes(created.id),
      );
    await waitFor("the input image to be noted", async () =>
      (await assetEvents(platform, created.id)).some((event) => event.type === "InputImageNoted"),
    );
    expect(await ofVideo()).toHaveLength(4);

    expect(await client.videos.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    await waitFor("the objects to be gone", async () => (await ofVideo()).length === 0);
    const deleted = (await assetEvents(platform, created.id)).filter((event) => event.type === "MediaDeleted");
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.data.keys).toHaveLength(4);
    expect(await objects.incomplete(`videos/${accountId}/`)).toEqual([]);
    const content = await fetch(`${platform.url}/v1/videos/${created.id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(content.status).toBe(404);
  });
});

describe.skipIf(!nats.url)("media retention", () => {
  let platform: Platform;
  beforeAll(async () => {
    // About three seconds: media older than that goes by the delete path.
    platform = await startPlatform(nats.url!, { env: { REELGATE_MEDIA_RETENTION_DAYS: String(3 / 86_400) } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("deletes media older than the retention and records why; the video stays, its content is gone", async () => {
    const { accountId, key, client } = await platform.account("5");
    const created = await client.videos.create({ prompt: "short-lived", seconds: "4" });
    expect((await waitForEnd(client, created.id)).status).toBe("completed");
    const objects = mediaObjects(platform);
    const deleted = await waitFor(
      "retention to delete the media",
      async () => (await assetEvents(platform, created.id)).find((event) => event.type === "MediaDeleted"),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(String(deleted.data.reason)).toMatch(/^retention/);
    expect((await objects.list(`videos/${accountId}/`)).filter((k) => k.includes(created.id))).toEqual([]);
    expect((await client.videos.retrieve(created.id)).status).toBe("completed");
    expect(await contentOnceDeleted(platform, key, created.id)).toMatchObject({ error: { code: "content_deleted" } });
  });

  it("a video copy that fails a few times under a short retention still ends completed; media is deleted only after the video was stored", async () => {
    const { accountId, key, client } = await platform.account("5");
    // Five broken video downloads: about 8 s of redelivery backoff (250 ms doubling), longer than the
    // 3 s retention, while the thumbnail and spritesheet are stored on the first attempt.
    await setFaults(platform, { brokenDownloads: 5 });
    try {
      const created = await client.videos.create({ prompt: "retained while retried", seconds: "4" });
      expect((await waitForEnd(client, created.id, 60_000)).status).toBe("completed");
      expect(await platform.simulator("/_control/faults")).toMatchObject({ brokenDownloads: 0 });
      const events = await waitFor(
        "retention to delete the media",
        async () => {
          const all = await assetEvents(platform, created.id);
          return all.some((event) => event.type === "MediaDeleted") ? all : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      const storedAt = (variant: string) =>
        events.findIndex((event) => event.type === "MediaStored" && event.data.variant === variant);
      const videoStored = events[storedAt("video")];
      const thumbnailStored = events[storedAt("thumbnail")];
      const deletedAt = events.findIndex((event) => event.type === "MediaDeleted");
      expect(videoStored).toBeDefined();
      expect(thumbnailStored).toBeDefined();
      // The thumbnail was stored more than a retention before the video: the case that used to delete too early.
      expect(Date.parse(videoStored!.occurredAt) - Date.parse(thumbnailStored!.occurredAt)).toBeGreaterThan(3_000);
      expect(storedAt("video")).toBeLessThan(deletedAt);
      expect(events.filter((event) => event.type === "MediaStorageFailed")).toEqual([]);
      const deleted = events[deletedAt]!;
      expect(deleted.data.keys).toContain(videoStored!.data.key);
      expect(Date.parse(deleted.occurredAt) - Date.parse(videoStored!.occurredAt)).toBeGreaterThanOrEqual(3_000);
      expect((await mediaObjects(platform).list(`videos/${accountId}/`)).filter((k) => k.includes(created.id))).toEqual(
        [],
      );
      expect((await client.videos.retrieve(created.id)).status).toBe("completed");
      expect(await contentOnceDeleted(platform, key, created.id)).toMatchObject({ error: { code: "content_deleted" } });
    } finally {
      await platform.simulator("/_control/faults", { method: "DELETE" });
    }
  });
});
