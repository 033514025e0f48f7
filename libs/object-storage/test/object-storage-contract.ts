import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { waitFor } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import type { ObjectStorage } from "../src/index.ts";

export interface ContractSubject {
  objects: ObjectStorage;
  /** Bytes per multipart part (0 for adapters that write a file): a "large" object spans more than two. */
  partSizeBytes: number;
  /** Whether `signedUrl` answers by itself (S3); file-storage URLs are served by ingress, tested there. */
  servesSignedUrls: boolean;
  /** Whether the server rejects a tampered URL (s3rver does not check signatures). */
  checksSignatures: boolean;
}

const CHUNK = 64 * 1024;

/** `total` deterministic bytes in 64 KiB chunks; it breaks or stalls after `stopAfter` bytes when asked. */
export const patternStream = (
  total: number,
  { stopAfter, stop }: { stopAfter?: number; stop?: "break" | "stall" } = {},
) => {
  let sent = 0;
  return new Readable({
    read() {
      if (stopAfter !== undefined && sent >= stopAfter) {
        if (stop === "break") this.destroy(new Error("upstream went away"));
        return; // stall: never push again
      }
      if (sent >= total) return void this.push(null);
      const size = Math.min(CHUNK, total - sent);
      const chunk = Buffer.alloc(size, (sent / CHUNK) % 251);
      sent += size;
      this.push(chunk);
    },
  });
};

const sha256Of = async (stream: Readable) => {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
};

let counter = 0;
const uniquePrefix = () => `videos/acct_${process.pid}_${Date.now()}_${counter++}/`;

/** The behaviour every ObjectStorage adapter must have; run once per adapter. */
export const describeObjectStorageContract = (name: string, subject: () => ContractSubject) => {
  describe(`${name} object storage (contract)`, () => {
    it("stores a stream and reports its size, sha256 and content type", async () => {
      const { objects } = subject();
      const key = `${uniquePrefix()}video.mp4`;
      const stored = await objects.put(key, Readable.from([Buffer.from("hello "), Buffer.from("world")]), "video/mp4");
      expect(stored).toEqual({
        key,
        bytes: 11,
        sha256: createHash("sha256").update("hello world").digest("hex"),
        contentType: "video/mp4",
      });
      expect(await objects.head(key)).toEqual({ bytes: 11, contentType: "video/mp4" });
      const read = await objects.get(key);
      expect(read?.contentType).toBe("video/mp4");
      expect(await text(read!.body)).toBe("hello world");
    });

    it("serves byte ranges", async () => {
      const { objects } = subject();
      const key = `${uniquePrefix()}video.mp4`;
      await objects.put(key, Readable.from([Buffer.from("0123456789")]), "video/mp4");
      const read = await objects.get(key, { start: 2, end: 5 });
      expect(read?.bytes).toBe(4);
      expect(await text(read!.body)).toBe("2345");
    });

    it("answers undefined for an object that does not exist", async () => {
      const { objects } = subject();
      expect(await objects.get(`${uniquePrefix()}none.mp4`)).toBeUndefined();
      expect(await objects.head(`${uniquePrefix()}none.mp4`)).toBeUndefined();
    });

    it("stores an object larger than two parts, streamed, with the right sha256", async () => {
      const { objects, partSizeBytes } = subject();
      const size = 2 * Math.max(partSizeBytes, 1024 * 1024) + 123_457;
      const key = `${uniquePrefix()}video.mp4`;
      const stored = await objects.put(key, patternStream(size), "video/mp4");
      const expected = await sha256Of(patternStream(size));
      expect(stored).toMatchObject({ bytes: size, sha256: expected });
      expect((await objects.head(key))?.bytes).toBe(size);
      expect(await sha256Of((await objects.get(key))!.body)).toBe(expected);
      expect(await objects.incomplete(key)).toEqual([]);
    });

    it("takes copies on a store without ListMultipartUploads: the cleanup before a put is skipped, not fatal", async () => {
      const { objects } = subject();
      const prefix = uniquePrefix();
      expect(await objects.removeIncomplete(prefix)).toBe(0);
      const stored = await objects.put(`${prefix}video.mp4`, patternStream(1000), "video/mp4");
      expect(stored.bytes).toBe(1000);
      expect(await objects.list(prefix)).toEqual([`${prefix}video.mp4`]);
    });

    it("leaves no object and no partial upload when the source breaks after two parts", async () => {
      const { objects, partSizeBytes } = subject();
      const prefix = uniquePrefix();
      const size = 4 * Math.max(partSizeBytes, 1024 * 1024);
      const broken = patternStream(size, { stopAfter: size / 2 + CHUNK, stop: "break" });
      await expect(objects.put(`${prefix}video.mp4`, broken, "video/mp4")).rejects.toThrow();
      expect(await objects.list(prefix)).toEqual([]);
      expect(await objects.get(`${prefix}video.mp4`)).toBeUndefined();
      expect(await objects.incomplete(prefix)).toEqual([]);
    });

    it("finds and removes what an interrupted put left behind (a crash mid-copy)", async (context) => {
      const { objects, partSizeBytes } = subject();
      // Listing them is optional (SPEC §5): a store without ListMultipartUploads relies on its lifecycle rule.
      await objects.incomplete(uniquePrefix());
      if (objects.listsIncomplete === false) {
        console.warn(`SKIPPED: ${name} cannot list interrupted uploads (ListMultipartUploads: NotImplemented)`);
        return context.skip();
      }
      const prefix = uniquePrefix();
      const size = 4 * Math.max(partSizeBytes, 1024 * 1024);
      // A put that never finishes stands for a process killed mid-copy.
      const stalled = patternStream(size, { stopAfter: size / 2, stop: "stall" });
      const put = objects.put(`${prefix}video.mp4`, stalled, "video/mp4").catch((error: unknown) => error);
      const found = await waitFor("the partial upload to show", async () => {
        const incomplete = await objects.incomplete(prefix);
        return incomplete.length > 0 ? incomplete : undefined;
      });
      expect(found.map((upload) => upload.key)).toEqual([`${prefix}video.mp4`]);
      expect(await objects.list(prefix)).toEqual([]);
      expect(await objects.removeIncomplete(prefix, { startedBefore: new Date(Date.now() - 3_600_000) })).toBe(0);
      expect(await objects.removeIncomplete(prefix)).toBe(1);
      expect(await objects.incomplete(prefix)).toEqual([]);
      stalled.destroy(new Error("killed"));
      await put;
      expect(await objects.list(prefix)).toEqual([]);
      expect(await objects.incomplete(prefix)).toEqual([]);
    });

    it("lists by prefix and deletes", async () => {
      const { objects } = subject();
      const account = uniquePrefix();
      for (const key of ["1/video.mp4", "1/thumbnail.png", "2/video.mp4"]) {
        await objects.put(`${account}${key}`, Readable.from([Buffer.from("x")]), "video/mp4");
      }
      expect(await objects.list(`${account}1/`)).toEqual([`${account}1/thumbnail.png`, `${account}1/video.mp4`]);
      await objects.delete(`${account}1/video.mp4`);
      await objects.delete(`${account}1/never-there.mp4`);
      expect(await objects.list(account)).toEqual([`${account}1/thumbnail.png`, `${account}2/video.mp4`]);
      await objects.delete(`${account}1/thumbnail.png`);
      expect(await objects.list(`${account}1/`)).toEqual([]);
    });

    it("hands out a signed URL that serves the object, and its ranges, without credentials", async () => {
      const { objects, servesSignedUrls, checksSignatures } = subject();
      const key = `${uniquePrefix()}video.mp4`;
      await objects.put(key, Readable.from([Buffer.from("0123456789")]), "video/mp4");
      const url = await objects.signedUrl(key, { expiresInSeconds: 60 });
      expect(url).toMatch(/^https?:\/\//);
      if (!servesSignedUrls) return;
      const whole = await fetch(url);
      expect(whole.status).toBe(200);
      expect(await whole.text()).toBe("0123456789");
      const part = await fetch(url, { headers: { range: "bytes=3-4" } });
      expect(part.status).toBe(206);
      expect(await part.text()).toBe("34");
      if (!checksSignatures) return;
      const tampered = new URL(url);
      tampered.pathname = tampered.pathname.replace("video.mp4", "other.mp4");
      expect((await fetch(tampered)).status).toBe(403);
    });
  });
};
