import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { fileStorage } from "../src/index.ts";

const storage = () => fileStorage(mkdtempSync(join(tmpdir(), "reelgate-objects-")));

describe("file object storage", () => {
  it("stores a stream and reports its size and sha256", async () => {
    const objects = storage();
    const stored = await objects.put("videos/a/video.mp4", Readable.from(["hello ", "world"]), "video/mp4");
    expect(stored).toEqual({
      key: "videos/a/video.mp4",
      bytes: 11,
      sha256: createHash("sha256").update("hello world").digest("hex"),
      contentType: "video/mp4",
    });
    const read = await objects.get("videos/a/video.mp4");
    expect(read?.contentType).toBe("video/mp4");
    expect(await text(read!.body)).toBe("hello world");
  });

  it("serves byte ranges", async () => {
    const objects = storage();
    await objects.put("k/v.mp4", Readable.from(["0123456789"]), "video/mp4");
    const read = await objects.get("k/v.mp4", { start: 2, end: 5 });
    expect(read?.bytes).toBe(4);
    expect(await text(read!.body)).toBe("2345");
  });

  it("leaves nothing behind when the source breaks mid-copy", async () => {
    const objects = storage();
    const broken = new Readable({
      read() {
        this.push("partial bytes");
        this.destroy(new Error("upstream went away"));
      },
    });
    await expect(objects.put("videos/b/video.mp4", broken, "video/mp4")).rejects.toThrow("upstream went away");
    expect(await objects.list("videos/")).toEqual([]);
    expect(await objects.get("videos/b/video.mp4")).toBeUndefined();
  });

  it("lists by prefix and deletes", async () => {
    const objects = storage();
    for (const key of ["videos/a/1/video.mp4", "videos/a/1/thumbnail.jpg", "videos/a/2/video.mp4"]) {
      await objects.put(key, Readable.from(["x"]), "video/mp4");
    }
    expect(await objects.list("videos/a/1/")).toEqual(["videos/a/1/thumbnail.jpg", "videos/a/1/video.mp4"]);
    await objects.delete("videos/a/1/video.mp4");
    expect(await objects.list("videos/a/")).toEqual(["videos/a/1/thumbnail.jpg", "videos/a/2/video.mp4"]);
  });

  it("refuses keys that escape the root", async () => {
    await expect(storage().put("../evil", Readable.from(["x"]), "video/mp4")).rejects.toThrow("escapes");
  });
});
