import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
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
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await makeFolder(folder);
      return await open(partial, "wx");
    }
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
      const file = await createPartial(partial).catch((error: unknown) => {
        body.destroy();
        throw error;
      });
      const { add, measured } = byteMeasure();
      try {
        try {
          // Written chunk by chunk, each write awaited (the body waits meanwhile): for media of a few KB a
          // stream pipeline with a hashing transform cost more than the writes themselves.
          for await (const data of body as AsyncIterable<Uint8Array | string>) {
            const chunk = typeof data === "string" ? Buffer.from(data) : data;
            add(chunk);
            for (let written = 0; written < chunk.byteLength; ) {
              written += (await file.write(chunk, written)).bytesWritten;
            }
          }
        } finally {
          await file.close();
        }
        await rename(partial, path);
      } catch (error) {
        body.destroy();
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
