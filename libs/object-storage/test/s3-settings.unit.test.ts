import { describe, expect, it } from "vitest";
import { type StorageConfig, s3SettingsOf } from "../src/index.ts";

const none: StorageConfig = {
  PORT: 8080,
  REELGATE_PUBLIC_URL: undefined,
  REELGATE_SIGNING_SECRET: undefined,
  S3_ENDPOINT: undefined,
  S3_BUCKET: undefined,
  S3_REGION: undefined,
  S3_ACCESS_KEY_ID: undefined,
  S3_SECRET_ACCESS_KEY: undefined,
  S3_FORCE_PATH_STYLE: undefined,
  S3_PUBLIC_BASE_URL: undefined,
  S3_CHECKSUM_MODE: undefined,
};

describe("S3 settings from the S3_* variables", () => {
  it("chooses file storage when no S3_* variable is set", () => {
    expect(s3SettingsOf(none)).toBeUndefined();
  });

  it("talks to AWS by virtual host in the given region", () => {
    expect(s3SettingsOf({ ...none, S3_BUCKET: "media", S3_REGION: "eu-west-1" })).toMatchObject({
      bucket: "media",
      region: "eu-west-1",
      endpoint: undefined,
      forcePathStyle: false,
    });
  });

  it("talks to Cloudflare R2 in region auto", () => {
    expect(
      s3SettingsOf({ ...none, S3_BUCKET: "media", S3_ENDPOINT: "https://abc.r2.cloudflarestorage.com" }),
    ).toMatchObject({ region: "auto", forcePathStyle: false });
  });

  it("talks to MinIO by path unless told otherwise", () => {
    const minio = { ...none, S3_BUCKET: "media", S3_ENDPOINT: "http://minio:9000" };
    expect(s3SettingsOf(minio)).toMatchObject({ region: "us-east-1", forcePathStyle: true });
    expect(s3SettingsOf({ ...minio, S3_FORCE_PATH_STYLE: "false" })).toMatchObject({ forcePathStyle: false });
  });

  it("names the variable that is missing or wrong", () => {
    expect(() => s3SettingsOf({ ...none, S3_ENDPOINT: "http://minio:9000" })).toThrow(/^S3_BUCKET: required/);
    expect(() => s3SettingsOf({ ...none, S3_BUCKET: "b", S3_FORCE_PATH_STYLE: "maybe" })).toThrow(
      /^S3_FORCE_PATH_STYLE: 'maybe'/,
    );
  });

  it("asks for checksums only where required off AWS, unless S3_CHECKSUM_MODE says otherwise", () => {
    expect(s3SettingsOf({ ...none, S3_BUCKET: "m" })).toMatchObject({ checksums: "when_supported" });
    const r2 = { ...none, S3_BUCKET: "m", S3_ENDPOINT: "https://acct.r2.cloudflarestorage.com" };
    expect(s3SettingsOf(r2)).toMatchObject({ checksums: "when_required" });
    expect(s3SettingsOf({ ...r2, S3_CHECKSUM_MODE: "when_supported" })).toMatchObject({ checksums: "when_supported" });
  });
});
