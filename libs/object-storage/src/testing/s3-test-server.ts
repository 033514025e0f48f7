import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Settings } from "../s3-storage.ts";

/** The part of s3rver (a Koa app) this harness uses; s3rver ships no types. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rver {
  middleware: Middleware[];
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rver;

const xmlEscape = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);

/**
 * s3rver does not implement ListMultipartUploads nor AbortMultipartUpload; this adds both over its
 * own upload directory, so the storage contract (no open multipart upload left behind) can be checked.
 */
const multipartUploadsShim =
  (server: S3rver): Middleware =>
  async (ctx, next) => {
    const [, bucket, ...keyParts] = ctx.path.split("/");
    if (!bucket) return next();
    const uploadsDir = server.store.getResourcePath(bucket, undefined, "uploads");
    if (ctx.method === "GET" && keyParts.filter(Boolean).length === 0 && "uploads" in ctx.query) {
      const prefix = typeof ctx.query.prefix === "string" ? ctx.query.prefix : "";
      const uploads: string[] = [];
      for (const uploadId of await readdir(uploadsDir).catch(() => [] as string[])) {
        const key = await readFile(join(uploadsDir, uploadId, "key"), "utf8").catch(() => undefined);
        if (key === undefined || !key.startsWith(prefix)) continue;
        const initiated = (await stat(join(uploadsDir, uploadId))).birthtime.toISOString();
        uploads.push(
          `<Upload><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId><Initiated>${initiated}</Initiated></Upload>`,
        );
      }
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><IsTruncated>false</IsTruncated>${uploads.join("")}</ListMultipartUploadsResult>`;
      return;
    }
    const uploadId = ctx.query.uploadId;
    if (ctx.method === "DELETE" && typeof uploadId === "string" && /^[\w-]+$/.test(uploadId)) {
      await rm(join(uploadsDir, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    return next();
  };

export interface TestS3Server {
  settings: S3Settings;
  /** s3rver's files, for inspecting what is on "disk". */
  directory: string;
  stop(): Promise<void>;
}

/**
 * An in-process S3-compatible server (s3rver) with one bucket, for tests and benchmarks where no
 * MinIO is at hand. It checks signatures only loosely; everything else goes over real S3 HTTP.
 */
export const startTestS3Server = async ({ bucket = "reelgate-test" } = {}): Promise<TestS3Server> => {
  const S3rver = createRequire(import.meta.url)("s3rver") as S3rverClass;
  const directory = mkdtempSync(join(tmpdir(), "reelgate-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  // Ahead of s3rver's router, which answers both requests with NotImplemented.
  server.middleware.unshift(multipartUploadsShim(server));
  const { port } = await server.run();
  return {
    settings: {
      bucket,
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      forcePathStyle: true,
    },
    directory,
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
};
