import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
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
});
