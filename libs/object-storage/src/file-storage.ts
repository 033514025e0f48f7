import { randomUUID } from "node:crypto";
import { createReadStream, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { LRUCache } from "lru-cache";
import { contentTypeOfKey } from "./content-types.ts";
import { byteMeasure } from "./measure.ts";
import type { IncompleteUpload, ObjectStorage } from "./port.ts";
import { signMediaUrl, type UrlSigning } from "./signed-url.ts";

const PARTIAL_SUFFIX = ".partial";
/** `{key}.{random}.partial`: the key a partial file was being written for. */
const PARTIAL = /^(.*)\.[0-9a-f]{12}\.partial$/;
/** 12 random hex digits; randomUUID draws from a cached pool, where randomBytes(6) asked the kernel each time. */
const partialId = () => randomUUID().replaceAll("-", "").slice(-12);
/** A body's chunk as bytes: a Readable made from strings yields strings. */
const bytesOf = (chunk: Uint8Array | string) => (typeof chunk === "string" ? Buffer.from(chunk) : chunk);
/**
 * A body that ends within this many bytes is held in memory and written with synchronous calls (docs/storage.md):
 * four system calls on the event loop (open, write, close, rename; tens of µs) instead of four trips through the
 * thread pool, each a thread switch and a promise, which cost more than the bytes. Larger bodies stream.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

export interface FileStorageOptions {
  /** Signs the URLs that ingress serves; without it `signedUrl` throws. */
  signing?: UrlSigning;
}

/** Objects as files under `root`; the key is the relative path. The content type follows the key's extension. */
export const fileStorage = (root: string, { signing }: FileStorageOptions = {}): ObjectStorage => {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) throw new Error(`object key '${key}' escapes the storage root`);
    return path;
  };

  /** Every file whose key starts with `prefix`, partial or whole. */
  const filesUnder = async (prefix: string) => {
    const dir = dirname(pathOf(prefix.endsWith("/") ? `${prefix}x` : prefix));
    try {
      return (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => relative(base, join(entry.parentPath, entry.name)).split(sep).join("/"))
        .filter((key) => key.startsWith(prefix));
    } catch {
      return [];
    }
  };

  const head = async (key: string) => {
    try {
      const info = await stat(pathOf(key));
      return info.isFile() ? { bytes: info.size, contentType: contentTypeOfKey(key) } : undefined;
    } catch {
      return undefined;
    }
  };

  /** Folders this process made or found (bounded: a video's folder is only written into for its few variants). */
  const knownFolders = new LRUCache<string, true>({ max: 1024 });
  const makeFolder = async (folder: string) => {
    await mkdir(folder, { recursive: true });
    knownFolders.set(folder, true);
  };
  const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";

  /**
   * Opens a new partial file. A folder is made once (the first variant of a video), not `mkdir -p` per object, which
   * cost a call and a `stat` for a folder that was there; one removed behind our back is made again when the open
   * says it is missing.
   */
  const createPartial = async (partial: string) => {
    const folder = dirname(partial);
    if (!knownFolders.has(folder)) await makeFolder(folder);
    try {
      return await open(partial, "wx");
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeFolder(folder);
      return await open(partial, "wx");
    }
  };

  /** `createPartial`, its writes and the rename for a body already in memory, in synchronous calls. */
  const writeSmall = (partial: string, path: string, bytes: Uint8Array) => {
    const folder = dirname(partial);
    const write = () => writeFileSync(partial, bytes, { flag: "wx" });
    if (!knownFolders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      knownFolders.set(folder, true);
    }
    try {
      write();
    } catch (error) {
      if (!isMissing(error)) throw error;
      mkdirSync(folder, { recursive: true });
      write();
    }
    renameSync(partial, path);
  };

  /** Streams the rest of a body that outgrew SMALL_BODY_BYTES to the partial, chunk by chunk, each write awaited. */
  const writeStreamed = async (
    partial: string,
    path: string,
    head: Uint8Array[],
    rest: AsyncIterator<Uint8Array | string>,
    add: (chunk: Uint8Array) => void,
  ) => {
    const file = await createPartial(partial);
    try {
      const write = async (chunk: Uint8Array) => {
        for (let written = 0; written < chunk.byteLength; ) {
          written += (await file.write(chunk, written)).bytesWritten;
        }
      };
      for (const chunk of head) await write(chunk);
      for (let next = await rest.next(); !next.done; next = await rest.next()) {
        const chunk = bytesOf(next.value);
        add(chunk);
        await write(chunk);
      }
    } finally {
      await file.close();
    }
    await rename(partial, path);
  };

  const incomplete = async (prefix: string): Promise<Array<IncompleteUpload & { file: string }>> => {
    const found: Array<IncompleteUpload & { file: string }> = [];
    for (const file of await filesUnder(prefix)) {
      const match = PARTIAL.exec(file);
      if (!match) continue;
      const info = await stat(pathOf(file)).catch(() => undefined);
      if (info) found.push({ key: match[1]!, startedAt: info.birthtimeMs > 0 ? info.birthtime : info.mtime, file });
    }
    return found;
  };

  return {
    async put(key, body, contentType) {
      const path = pathOf(key);
      // Written beside the target and renamed into place: readers never see half an object.
      const partial = `${path}.${partialId()}${PARTIAL_SUFFIX}`;
      const { add, measured } = byteMeasure();
      // Chunks are hashed and counted as they arrive (no stream pipeline with a hashing transform: for media of a
      // few KB it cost more than the writes). Up to SMALL_BODY_BYTES are held; a body that ends there is written in
      // one go.
      const chunks = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
      const head: Uint8Array[] = [];
      let held = 0;
      try {
        let ended = false;
        while (held <= SMALL_BODY_BYTES) {
          const next = await chunks.next();
          if (next.done) {
            ended = true;
            break;
          }
          const chunk = bytesOf(next.value);
          add(chunk);
          head.push(chunk);
          held += chunk.byteLength;
        }
        if (ended) writeSmall(partial, path, head.length === 1 ? head[0]! : Buffer.concat(head, held));
        else await writeStreamed(partial, path, head, chunks, add);
      } catch (error) {
        if (body instanceof Readable) body.destroy();
        else await chunks.return?.().catch(() => {});
        await rm(partial, { force: true });
        throw error;
      }
      return { key, ...measured(), contentType };
    },

    async get(key, range) {
      const found = await head(key);
      if (!found) return undefined;
      const body = createReadStream(pathOf(key), range ? { start: range.start, end: range.end } : {});
      const bytes = range ? range.end - range.start + 1 : found.bytes;
      return { body, bytes, contentType: found.contentType };
    },

    head,

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async list(prefix) {
      return (await filesUnder(prefix)).filter((key) => !key.endsWith(PARTIAL_SUFFIX)).sort();
    },

    async signedUrl(key, { expiresInSeconds }) {
      if (!signing) throw new Error("file storage was opened without URL signing (REELGATE_SIGNING_SECRET)");
      pathOf(key);
      return signMediaUrl(signing, key, expiresInSeconds);
    },

    async incomplete(prefix) {
      return (await incomplete(prefix)).map(({ key, startedAt }) => ({ key, startedAt }));
    },

    async removeIncomplete(prefix, { startedBefore } = {}) {
      const stale = (await incomplete(prefix)).filter((upload) => !startedBefore || upload.startedAt < startedBefore);
      await Promise.all(stale.map((upload) => rm(pathOf(upload.file), { force: true })));
      return stale.length;
    },
  };
};
