import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { contentTypeOfKey } from "./content-types.ts";
import type { ObjectStorage } from "./port.ts";

const PARTIAL_SUFFIX = ".partial";

/** Objects as files under `root`; the key is the relative path. The content type follows the key's extension. */
export const fileStorage = (root: string): ObjectStorage => {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) throw new Error(`object key '${key}' escapes the storage root`);
    return path;
  };

  const head = async (key: string) => {
    try {
      const info = await stat(pathOf(key));
      return info.isFile() ? { bytes: info.size, contentType: contentTypeOfKey(key) } : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async put(key, body, contentType) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written beside the target and renamed into place: readers never see half an object.
      const partial = `${path}.${randomBytes(6).toString("hex")}${PARTIAL_SUFFIX}`;
      const hash = createHash("sha256");
      let bytes = 0;
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await pipeline(body, measure, createWriteStream(partial));
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return { key, bytes, sha256: hash.digest("hex"), contentType };
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
      const start = pathOf(prefix.endsWith("/") ? `${prefix}x` : prefix);
      const dir = prefix.endsWith("/") ? dirname(start) : dirname(start);
      let entries: string[];
      try {
        entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name));
      } catch {
        return [];
      }
      return entries
        .map((path) => relative(base, path).split(sep).join("/"))
        .filter((key) => key.startsWith(prefix) && !key.endsWith(PARTIAL_SUFFIX))
        .sort();
    },
  };
};
