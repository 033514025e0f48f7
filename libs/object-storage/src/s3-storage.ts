import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { contentTypeOfKey } from "./content-types.ts";
import { measuringStream } from "./measure.ts";
import type { IncompleteUpload, ObjectStorage } from "./port.ts";

/** SPEC.md §2's `S3_*` variables, for AWS S3, Cloudflare R2 or MinIO. */
export interface S3Settings {
  bucket: string;
  /** `auto` for R2; any region for MinIO. */
  region: string;
  /** Unset for AWS S3; `https://{account}.r2.cloudflarestorage.com` for R2; MinIO's URL. */
  endpoint?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** `bucket.host/key` (AWS, R2) or `host/bucket/key` (MinIO and most self-hosted servers). */
  forcePathStyle: boolean;
  /** `when_supported`: the SDK's default CRC checksums (AWS); `when_required`: only where S3's API demands one. */
  checksums?: "when_supported" | "when_required";
  /** A public bucket or a CDN in front of it: URLs handed out are `{publicBaseUrl}/{key}`, unsigned. */
  publicBaseUrl?: string | undefined;
  /** Multipart part size; memory per upload is about partSize × queueSize. */
  partSizeBytes?: number;
  /** Parts uploaded at once. */
  queueSize?: number;
}

/** Presigned URLs cannot outlive SigV4's limit of 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const isNotFound = (error: unknown) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchUpload" || $metadata?.httpStatusCode === 404;
};

/** The store lacks the operation (s3rver, some S3-compatible stores): 501 NotImplemented. */
const isNotImplemented = (error: unknown) => {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === "NotImplemented" || $metadata?.httpStatusCode === 501;
};

const isAws = (endpoint: string | undefined) => !endpoint || /\.amazonaws\.com(\/|$|:)/.test(endpoint);

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

export const s3Client = (settings: S3Settings) =>
  new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.accessKeyId && settings.secretAccessKey
      ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
      : {}),
    ...((settings.checksums ?? (isAws(settings.endpoint) ? "when_supported" : "when_required")) === "when_required"
      ? { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" }
      : {}),
  });

/** Objects in an S3-compatible bucket; puts stream through multipart uploads that are aborted on failure. */
export const s3Storage = (
  settings: S3Settings,
  client: S3Client = s3Client(settings),
  { warn = (message: string) => process.emitWarning(message) }: { warn?: (message: string) => void } = {},
): ObjectStorage => {
  const Bucket = settings.bucket;
  // ListMultipartUploads is optional (SPEC §5): a store without it gets every copy, and its bucket's lifecycle rule
  // (docs/storage.md) removes what an interrupted upload leaves behind. Said once, then not asked again.
  let listsUploads = true;
  const cannotList = () => {
    if (listsUploads)
      warn(
        `S3 bucket ${Bucket}: the store does not implement ListMultipartUploads; the cleanup of interrupted uploads is skipped, rely on the bucket's lifecycle rule (AbortIncompleteMultipartUpload)`,
      );
    listsUploads = false;
    return [];
  };
  const partSize = settings.partSizeBytes ?? 8 * 1024 * 1024;
  const queueSize = settings.queueSize ?? 2;

  const head = async (key: string) => {
    try {
      const found = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return { bytes: found.ContentLength ?? 0, contentType: found.ContentType ?? contentTypeOfKey(key) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  const incomplete = async (prefix: string): Promise<Array<IncompleteUpload & { uploadId: string }>> => {
    if (!listsUploads) return [];
    const found: Array<IncompleteUpload & { uploadId: string }> = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (;;) {
      let page: Awaited<ReturnType<typeof listUploads>>;
      try {
        page = await listUploads(prefix, KeyMarker, UploadIdMarker);
      } catch (error) {
        if (isNotImplemented(error)) return cannotList();
        throw error;
      }
      for (const upload of page.Uploads ?? []) {
        if (upload.Key && upload.UploadId)
          found.push({ key: upload.Key, uploadId: upload.UploadId, startedAt: upload.Initiated ?? new Date(0) });
      }
      if (!page.IsTruncated) return found;
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
    }
  };

  const listUploads = (prefix: string, KeyMarker: string | undefined, UploadIdMarker: string | undefined) =>
    client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: prefix, KeyMarker, UploadIdMarker }));

  return {
    /** Whether `incomplete` can see interrupted uploads (false once the store answered NotImplemented). */
    get listsIncomplete() {
      return listsUploads;
    },

    async put(key, given, contentType) {
      const body = given instanceof Readable ? given : Readable.from(given);
      const { stream: measure, measured } = measuringStream();
      // A source that breaks must fail the upload (which then aborts its multipart upload).
      body.once("error", (error) => measure.destroy(error));
      body.pipe(measure);
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: measure, ContentType: contentType },
        partSize,
        queueSize,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        body.destroy();
        throw error;
      }
      return { key, ...measured(), contentType };
    },

    async get(key, range) {
      try {
        const found = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        if (!(found.Body instanceof Readable)) throw new Error(`S3 GET ${key}: the body is not a Node stream`);
        return {
          body: found.Body,
          bytes: found.ContentLength ?? (range ? range.end - range.start + 1 : 0),
          contentType: found.ContentType ?? contentTypeOfKey(key),
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    head,

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async list(prefix) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket, Prefix: prefix })) {
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
      }
      return keys.sort();
    },

    async signedUrl(key, { expiresInSeconds }) {
      if (settings.publicBaseUrl) return `${settings.publicBaseUrl.replace(/\/+$/, "")}/${encodeKey(key)}`;
      const expiresIn = Math.min(MAX_PRESIGN_SECONDS, Math.max(1, Math.floor(expiresInSeconds)));
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn });
    },

    async incomplete(prefix) {
      return (await incomplete(prefix)).map(({ key, startedAt }) => ({ key, startedAt }));
    },

    async removeIncomplete(prefix, { startedBefore } = {}) {
      const stale = (await incomplete(prefix)).filter((upload) => !startedBefore || upload.startedAt < startedBefore);
      for (const upload of stale) {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key: upload.key, UploadId: upload.uploadId }));
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      return stale.length;
    },
  };
};
