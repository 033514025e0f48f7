import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The part of s3rver this harness uses; s3rver ships no types. */
interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rver;

export interface TestS3Server {
  /** What `@reelgate/object-storage`'s `s3Storage` takes (its S3Settings). */
  settings: {
    bucket: string;
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  /** s3rver's files, for inspecting what is on "disk". */
  directory: string;
  stop(): Promise<void>;
}

/**
 * An in-process S3-compatible server (s3rver) with one bucket, for tests and benchmarks where no
 * MinIO is at hand. It checks signatures only loosely; everything else goes over real S3 HTTP. It is s3rver as
 * published, unpatched: what it lacks (ListMultipartUploads, AbortMultipartUpload) the code must live without.
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
