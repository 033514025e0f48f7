import { Readable } from "node:stream";
import { startTestS3Server, type TestS3Server } from "@reelgate/testkit/s3-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openObjectStorage } from "../src/index.ts";

/** openObjectStorage with `S3_*` set: the AWS SDK is loaded then (not on import), and every call goes to the bucket. */
describe("openObjectStorage on S3 (s3rver, in-process)", () => {
  let server: TestS3Server;
  beforeAll(async () => {
    server = await startTestS3Server();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const open = () =>
    openObjectStorage(
      {
        PORT: 0,
        S3_BUCKET: server.settings.bucket,
        S3_ENDPOINT: server.settings.endpoint,
        S3_REGION: server.settings.region,
        S3_ACCESS_KEY_ID: server.settings.accessKeyId,
        S3_SECRET_ACCESS_KEY: server.settings.secretAccessKey,
        S3_FORCE_PATH_STYLE: "true",
      } as Parameters<typeof openObjectStorage>[0],
      { dataDir: "/nonexistent" },
    );

  it("puts, heads, gets, lists, signs and deletes through the S3 adapter it opens for S3_* settings", async () => {
    const objects = await open();
    const stored = await objects.put("videos/a/v1/video.mp4", Readable.from([Buffer.from("hello s3")]), "video/mp4");
    expect(stored).toMatchObject({ key: "videos/a/v1/video.mp4", bytes: 8, contentType: "video/mp4" });
    expect(await objects.head("videos/a/v1/video.mp4")).toEqual({ bytes: 8, contentType: "video/mp4" });
    const got = await objects.get("videos/a/v1/video.mp4");
    const chunks: Buffer[] = [];
    for await (const chunk of got!.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("hello s3");
    expect(await objects.list("videos/a/")).toEqual(["videos/a/v1/video.mp4"]);
    expect(await objects.signedUrl("videos/a/v1/video.mp4", { expiresInSeconds: 60 })).toMatch(
      new RegExp(`^${server.settings.endpoint}/.*X-Amz-Signature=`),
    );
    await objects.delete("videos/a/v1/video.mp4");
    expect(await objects.head("videos/a/v1/video.mp4")).toBeUndefined();
  });
});
