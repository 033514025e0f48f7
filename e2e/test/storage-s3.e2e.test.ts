import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Envelope } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import type { ObjectStorage } from "@reelgate/object-storage";
import { s3Storage } from "@reelgate/object-storage/s3";
import { testNats, waitFor } from "@reelgate/testkit";
import { startTestS3Server, type TestS3Server } from "@reelgate/testkit/s3-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();

const storedVideo = async (platform: Platform, videoId: string) => {
  const store = openSqliteEventStore(join(platform.dataDir, "storage.events.db"));
  try {
    const events = (await store.readStream(`asset-${videoId}`)) as Envelope<Record<string, unknown>>[];
    return events.filter((event) => event.type === "MediaStored");
  } finally {
    await store.close();
  }
};

/**
 * Multipart uploads s3rver holds open, read from its directory: s3rver (unmodified) answers ListMultipartUploads
 * with NotImplemented, so the test looks where it keeps them.
 */
const openUploads = async (s3: TestS3Server) =>
  (await readdir(join(s3.directory, s3.settings.bucket, "._S3rver_uploads")).catch(() => [])).length;

/** The same platform with S3_* set: every service talks to an S3-compatible server (s3rver, in this process). */
describe.skipIf(!nats.url)("media storage on S3", () => {
  let s3: TestS3Server;
  let platform: Platform;
  let objects: ObjectStorage;
  beforeAll(async () => {
    s3 = await startTestS3Server();
    const { settings } = s3;
    platform = await startPlatform(nats.url!, {
      env: {
        S3_ENDPOINT: settings.endpoint,
        S3_BUCKET: settings.bucket,
        S3_REGION: settings.region,
        S3_ACCESS_KEY_ID: settings.accessKeyId,
        S3_SECRET_ACCESS_KEY: settings.secretAccessKey,
        S3_FORCE_PATH_STYLE: "true",
      },
    });
    objects = s3Storage(settings);
  });
  afterAll(async () => {
    await platform?.stop();
    await s3?.stop();
  });

  it("storage killed mid-upload and restarted completes once on a store without ListMultipartUploads; presigned URL plays", async () => {
    const { accountId, key, client } = await platform.account("5");
    const size = 96 * 1024 * 1024;
    await platform.simulator("/_control/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ videoBytes: size }),
    });
    try {
      const created = await client.videos.create({ prompt: "killed mid-upload", seconds: "4" });
      const before = await openUploads(s3);
      await waitFor("a multipart upload to be open", async () => (await openUploads(s3)) > before, {
        timeoutMs: 30_000,
        intervalMs: 10,
      });
      await platform.stopService("storage", "SIGKILL");
      await platform.startService("storage");

      expect((await waitForEnd(client, created.id, 90_000)).status).toBe("completed");
      const stored = await waitFor("every variant stored", async () => {
        const events = await storedVideo(platform, created.id);
        return events.length === 3 ? events : undefined;
      });
      const video = stored.find((event) => event.data.variant === "video")!;
      expect(video.data.bytes).toBe(size);
      // The abandoned upload stays for the bucket's lifecycle rule (docs/storage.md); no object came of it.
      expect((await objects.list(`videos/${accountId}/`)).filter((k) => k.includes(created.id))).toHaveLength(3);

      const query = await fetch(`${platform.url}/v1/videos/query/${created.id}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const { video_result: url } = (await query.json()) as { video_result: string };
      expect(url).toContain("X-Amz-Signature=");
      const played = await fetch(url);
      expect(played.status).toBe(200);
      const hash = createHash("sha256");
      for await (const chunk of played.body!) hash.update(chunk);
      expect(hash.digest("hex")).toBe(video.data.sha256);

      await client.videos.delete(created.id);
      await waitFor(
        "the objects to be gone from the bucket",
        async () => (await objects.list(`videos/${accountId}/`)).filter((k) => k.includes(created.id)).length === 0,
      );
    } finally {
      await platform.simulator("/_control/faults", { method: "DELETE" });
    }
  });
});
