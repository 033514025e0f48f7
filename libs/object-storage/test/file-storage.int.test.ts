import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { SMALL_BODY_BYTES } from "../src/file-storage.ts";
import { fileStorage } from "../src/index.ts";
import { describeObjectStorageContract } from "./object-storage-contract.ts";

const storage = () =>
  fileStorage(mkdtempSync(join(tmpdir(), "reelgate-objects-")), {
    signing: { publicUrl: "http://127.0.0.1:8080", secret: "s3cret", now: () => new Date() },
  });

describeObjectStorageContract("file", () => ({
  objects: storage(),
  partSizeBytes: 0,
  servesSignedUrls: false,
  checksSignatures: true,
}));

describe("file object storage", () => {
  it("refuses keys that escape the root", async () => {
    await expect(storage().put("../evil", Readable.from(["x"]), "video/mp4")).rejects.toThrow("escapes");
    await expect(storage().signedUrl("../evil", { expiresInSeconds: 60 })).rejects.toThrow("escapes");
  });

  it("signs URLs for ingress's /media/ route", async () => {
    const url = await storage().signedUrl("videos/a b/video.mp4", { expiresInSeconds: 60 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/media\/videos\/a%20b\/video\.mp4\?expires=\d+&signature=[\w-]+$/);
  });

  it("makes a missing folder when it opens the partial, and copes with one removed behind its back", async () => {
    const root = mkdtempSync(join(tmpdir(), "reelgate-objects-"));
    const objects = fileStorage(root);
    const folder = "videos/acct_1/2026/12/video_1";
    await objects.put(`${folder}/video.mp4`, Readable.from([Buffer.from("video")]), "video/mp4");
    await objects.put(`${folder}/thumbnail.webp`, Readable.from(["thumb"]), "image/webp");
    expect(readdirSync(join(root, folder)).sort()).toEqual(["thumbnail.webp", "video.mp4"]);
    rmSync(join(root, "videos"), { recursive: true });
    const stored = await objects.put(`${folder}/spritesheet.jpg`, Readable.from(["sprites"]), "image/jpeg");
    expect(stored).toMatchObject({ bytes: 7 });
    expect(readFileSync(join(root, folder, "spritesheet.jpg"), "utf8")).toBe("sprites");
    expect(await objects.incomplete("videos/")).toEqual([]);
  });

  it("counts and hashes text chunks as their UTF-8 bytes", async () => {
    const objects = storage();
    const stored = await objects.put("videos/a/b/c/video.mp4", Readable.from(["é", Buffer.from("x")]), "video/mp4");
    expect(stored.bytes).toBe(3);
    expect(stored.sha256).toBe(createHash("sha256").update("éx").digest("hex"));
  });

  it("fails a put whose folder cannot be made, leaving nothing, and lets go of the body", async () => {
    const root = mkdtempSync(join(tmpdir(), "reelgate-objects-"));
    // A file where the folder should be (root ignores permissions, so not a read-only folder).
    writeFileSync(join(root, "videos"), "not a folder");
    const body = Readable.from(["never written"]);
    await expect(fileStorage(root).put("videos/a/video.mp4", body, "video/mp4")).rejects.toThrow(/ENOTDIR|EEXIST/);
    expect(body.destroyed).toBe(true);
    expect(readdirSync(root)).toEqual(["videos"]);
  });

  it("stores bodies at, just past and well past the in-memory size whole, in many chunks, with their sha256", async () => {
    const root = mkdtempSync(join(tmpdir(), "reelgate-objects-"));
    const objects = fileStorage(root);
    for (const size of [SMALL_BODY_BYTES, SMALL_BODY_BYTES + 1, 3 * SMALL_BODY_BYTES + 17]) {
      const bytes = Buffer.alloc(size);
      for (let at = 0; at < size; at++) bytes[at] = (at * 31 + size) % 251;
      const chunks = Array.from({ length: Math.ceil(size / 4096) }, (_, at) =>
        bytes.subarray(at * 4096, (at + 1) * 4096),
      );
      const key = `videos/a/2026/12/v${size}/video.mp4`;
      const stored = await objects.put(key, Readable.from(chunks), "video/mp4");
      expect(stored).toEqual({
        key,
        bytes: size,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        contentType: "video/mp4",
      });
      expect(readFileSync(join(root, key)).equals(bytes)).toBe(true);
    }
    expect(await objects.incomplete("videos/")).toEqual([]);
  });

  it("leaves nothing when a body larger than the in-memory size breaks off, and none under the key", async () => {
    const root = mkdtempSync(join(tmpdir(), "reelgate-objects-"));
    const objects = fileStorage(root);
    async function* breaking() {
      yield Buffer.alloc(SMALL_BODY_BYTES, 1);
      yield Buffer.alloc(SMALL_BODY_BYTES, 2);
      throw new Error("the upstream cut the connection");
    }
    await expect(objects.put("videos/a/2026/12/v/video.mp4", Readable.from(breaking()), "video/mp4")).rejects.toThrow(
      "cut the connection",
    );
    expect(await objects.head("videos/a/2026/12/v/video.mp4")).toBeUndefined();
    expect(await objects.incomplete("videos/")).toEqual([]);
  });

  it("fails a large put whose folder cannot be made, leaving nothing, and lets go of the body", async () => {
    const root = mkdtempSync(join(tmpdir(), "reelgate-objects-"));
    writeFileSync(join(root, "videos"), "not a folder");
    const body = Readable.from([Buffer.alloc(SMALL_BODY_BYTES + 1), Buffer.alloc(SMALL_BODY_BYTES)]);
    await expect(fileStorage(root).put("videos/a/video.mp4", body, "video/mp4")).rejects.toThrow(/ENOTDIR|EEXIST/);
    expect(body.destroyed).toBe(true);
    expect(readdirSync(root)).toEqual(["videos"]);
  });
});
