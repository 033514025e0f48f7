import type { Readable } from "node:stream";

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

export interface ByteRange {
  /** Inclusive first byte. */
  start: number;
  /** Inclusive last byte. */
  end: number;
}

/** What an interrupted put left behind: a partial file, or an open multipart upload. */
export interface IncompleteUpload {
  key: string;
  startedAt: Date;
}

export interface ObjectStorage {
  /**
   * Streams `body` (a stream, or any async iterable of chunks: one made from a fetch's body needs no Readable
   * round it) to `key`; the object appears whole or not at all (a crash mid-copy leaves no
   * object under the key). Returns its size and sha256, computed while streaming.
   */
  put(key: string, body: Readable | AsyncIterable<Uint8Array>, contentType: string): Promise<StoredObject>;
  /** A stream of the object, or of `range` of it; undefined when it does not exist. */
  get(key: string, range?: ByteRange): Promise<{ body: Readable; bytes: number; contentType: string } | undefined>;
  head(key: string): Promise<{ bytes: number; contentType: string } | undefined>;
  delete(key: string): Promise<void>;
  /** Keys of the whole objects under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * A URL that serves the object to anyone holding it, with `Range`, until `expiresInSeconds` from now:
   * an S3 presigned GET, an HMAC-signed URL served by ingress, or the public base URL when one is set.
   */
  signedUrl(key: string, options: { expiresInSeconds: number }): Promise<string>;
  /**
   * Whether `incomplete` can see partial writes. False on an S3-compatible store without ListMultipartUploads: there
   * `incomplete` answers [] and the bucket's lifecycle rule removes them (docs/storage.md).
   */
  readonly listsIncomplete?: boolean;
  /** The partial writes under `prefix` that a crashed or failed put left behind. */
  incomplete(prefix: string): Promise<IncompleteUpload[]>;
  /** Removes them (those started before `startedBefore`, when given); returns how many it removed. */
  removeIncomplete(prefix: string, options?: { startedBefore?: Date }): Promise<number>;
}
