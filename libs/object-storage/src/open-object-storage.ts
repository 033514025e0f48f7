import { join } from "node:path";
import type { Config } from "@reelgate/contracts";
import { fileStorage } from "./file-storage.ts";
import type { ObjectStorage } from "./port.ts";
import type { S3Settings } from "./s3-storage.ts";

export type StorageConfig = Pick<
  Config,
  | "PORT"
  | "REELGATE_PUBLIC_URL"
  | "REELGATE_SIGNING_SECRET"
  | "S3_ENDPOINT"
  | "S3_BUCKET"
  | "S3_REGION"
  | "S3_ACCESS_KEY_ID"
  | "S3_SECRET_ACCESS_KEY"
  | "S3_FORCE_PATH_STYLE"
  | "S3_PUBLIC_BASE_URL"
  | "S3_CHECKSUM_MODE"
>;

const s3Variables = [
  "S3_ENDPOINT",
  "S3_BUCKET",
  "S3_REGION",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "S3_FORCE_PATH_STYLE",
  "S3_PUBLIC_BASE_URL",
  "S3_CHECKSUM_MODE",
] as const;

const flag = (name: string, value: string) => {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${name}: '${value}' is not a boolean (true or false)`);
};

/** The S3 settings the `S3_*` variables describe, or undefined when none is set (file storage). */
export const s3SettingsOf = (config: StorageConfig): S3Settings | undefined => {
  const given = s3Variables.filter((name) => config[name] !== undefined);
  if (given.length === 0) return undefined;
  if (!config.S3_BUCKET)
    throw new Error(`S3_BUCKET: required when ${given.join(", ")} ${given.length > 1 ? "are" : "is"} set`);
  const endpoint = config.S3_ENDPOINT;
  const r2 = endpoint !== undefined && /\.r2\.cloudflarestorage\.com/.test(endpoint);
  const aws = endpoint === undefined || /\.amazonaws\.com/.test(endpoint);
  return {
    bucket: config.S3_BUCKET,
    endpoint,
    region: config.S3_REGION ?? (r2 ? "auto" : "us-east-1"),
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    // MinIO and other self-hosted servers are reached by path; AWS and R2 by virtual host.
    forcePathStyle:
      config.S3_FORCE_PATH_STYLE === undefined ? !aws && !r2 : flag("S3_FORCE_PATH_STYLE", config.S3_FORCE_PATH_STYLE),
    publicBaseUrl: config.S3_PUBLIC_BASE_URL,
    // R2, MinIO and older servers reject or mis-store the SDK's default CRC trailers on streamed bodies.
    checksums: config.S3_CHECKSUM_MODE ?? (aws ? "when_supported" : "when_required"),
  };
};

/**
 * The media storage a service uses, from SPEC.md §2's variables: S3 when `S3_*` is set, else files under the data dir.
 * The AWS SDK is loaded only for S3: it costs a process ~11 MiB of RSS and 4 MiB of heap, which a service on file
 * storage never needs.
 */
export const openObjectStorage = async (
  config: StorageConfig,
  { dataDir, now = () => new Date() }: { dataDir: string; now?: () => Date },
): Promise<ObjectStorage> => {
  const s3 = s3SettingsOf(config);
  if (s3) return (await import("./s3-storage.ts")).s3Storage(s3);
  const secret = config.REELGATE_SIGNING_SECRET;
  const publicUrl = config.REELGATE_PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`;
  return fileStorage(join(dataDir, "media"), secret ? { signing: { publicUrl, secret, now } } : {});
};

/** A URL of a stored object that plays without an API key until it expires (SPEC.md §5). */
export const signedMediaUrl = (objects: ObjectStorage, key: string, { expiresInSeconds = 3600 } = {}) =>
  objects.signedUrl(key, { expiresInSeconds });

/** A readiness check that the media storage answers: a HEAD of a key that need not exist. */
export const objectStorageReadiness = (objects: ObjectStorage) => ({
  name: "object-storage",
  check: async () => void (await objects.head("health-probe")),
});
