import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { dockerEngine } from "@reelgate/testkit";
import { startTestS3Server, type TestS3Server } from "@reelgate/testkit/s3-server";
import type { StartedMinioContainer } from "@testcontainers/minio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ObjectStorage, type S3Settings, s3SettingsOf } from "../src/index.ts";
import { s3Client, s3Storage } from "../src/s3-storage.ts";
import { describeObjectStorageContract } from "./object-storage-contract.ts";

/** S3's smallest part: the contract's "larger than two parts" object is then about 10 MiB. */
const PART = 5 * 1024 * 1024;

describe("S3 object storage on s3rver (in-process)", () => {
  let server: TestS3Server;
  let objects: ObjectStorage;
  beforeAll(async () => {
    server = await startTestS3Server();
    objects = s3Storage({ ...server.settings, partSizeBytes: PART });
  });
  afterAll(async () => {
    await server?.stop();
  });
  describeObjectStorageContract("S3 (s3rver)", () => ({
    objects,
    partSizeBytes: PART,
    servesSignedUrls: true,
    checksSignatures: false,
  }));

  it("hands out public URLs when S3_PUBLIC_BASE_URL is set", async () => {
    const publicObjects = s3Storage({ ...server.settings, publicBaseUrl: "https://cdn.example.com/media/" });
    expect(await publicObjects.signedUrl("videos/a/v 1/video.mp4", { expiresInSeconds: 60 })).toBe(
      "https://cdn.example.com/media/videos/a/v%201/video.mp4",
    );
  });
});

/** MinIO through Testcontainers when a Docker engine answers (testkit says whether one does, and why not). */
const engine = await dockerEngine();
const testcontainers = engine.answers ? await import("@testcontainers/minio") : undefined;
if (!testcontainers)
  console.warn(`SKIPPED: S3 contract on MinIO: no Docker engine (${engine.reason}); the s3rver variant ran`);

describe.skipIf(!testcontainers)("S3 object storage on MinIO (Testcontainers)", () => {
  let container: StartedMinioContainer | undefined;
  let objects: ObjectStorage;
  beforeAll(async () => {
    container = await new testcontainers!.MinioContainer("minio/minio:latest").start();
    const settings: S3Settings = {
      ...s3SettingsOf({
        PORT: 0,
        S3_ENDPOINT: container.getConnectionUrl(),
        S3_BUCKET: "reelgate-test",
        S3_ACCESS_KEY_ID: container.getUsername(),
        S3_SECRET_ACCESS_KEY: container.getPassword(),
        REELGATE_PUBLIC_URL: undefined,
        REELGATE_SIGNING_SECRET: undefined,
        S3_REGION: undefined,
        S3_FORCE_PATH_STYLE: undefined,
        S3_PUBLIC_BASE_URL: undefined,
      })!,
      partSizeBytes: PART,
    };
    await s3Client(settings).send(new CreateBucketCommand({ Bucket: settings.bucket }));
    objects = s3Storage(settings);
  }, 120_000);
  afterAll(async () => {
    await container?.stop();
  });
  describeObjectStorageContract("S3 (MinIO)", () => ({
    objects,
    partSizeBytes: PART,
    servesSignedUrls: true,
    checksSignatures: true,
  }));
});
