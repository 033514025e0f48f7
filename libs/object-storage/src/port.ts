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

export interface ObjectStorage {
  /**
   * Streams `body` to `key`; the object appears whole or not at all (a crash mid-copy leaves no
   * object under the key). Returns its size and sha256, computed while streaming.
   */
  put(key: string, body: Readable, contentType: string): Promise<StoredObject>;
  /** A stream of the object, or of `range` of it; undefined when it does not exist. */
  get(key: string, range?: ByteRange): Promise<{ body: Readable; bytes: number; contentType: string } | undefined>;
  head(key: string): Promise<{ bytes: number; contentType: string } | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}
