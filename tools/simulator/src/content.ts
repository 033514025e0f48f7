import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Job } from "./jobs.ts";
import { mp4Bytes, mp4Stream } from "./media/mp4.ts";
import { spritesheetPng, thumbnailPng } from "./media/png.ts";

export const VARIANTS = ["video", "thumbnail", "spritesheet"] as const;
export type Variant = (typeof VARIANTS)[number];

export const isVariant = (value: unknown): value is Variant => VARIANTS.includes(value as Variant);

/** What the content endpoint serves for a job: small media as bytes, a sized video as a stream. */
export interface Content {
  contentType: string;
  body: () => Buffer | Readable;
}

export const contentOf = (job: Job, variant: Variant): Content => {
  if (variant === "thumbnail") return { contentType: "image/png", body: () => thumbnailPng(job.id) };
  if (variant === "spritesheet") return { contentType: "image/png", body: () => spritesheetPng(job.id) };
  const seconds = Number(job.seconds) || 1;
  const { videoBytes } = job;
  return {
    contentType: "video/mp4",
    body: () => (videoBytes === undefined ? mp4Bytes(job.id, { seconds }) : mp4Stream(job.id, videoBytes, { seconds })),
  };
};

/** The sha256 and size of exactly the bytes the content endpoint serves. */
export const digestOf = async (content: Content) => {
  const hash = createHash("sha256");
  const body = content.body();
  let bytes = 0;
  for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
};

/** The first half of `body` (of `bytes` in all), then an error: the connection breaks off mid-download. */
export const brokenHalfway = (body: Buffer | Readable, bytes: number): Readable => {
  const half = Math.floor(bytes / 2);
  return Readable.from(
    (async function* () {
      let sent = 0;
      for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
        const piece = (chunk as Buffer).subarray(0, Math.max(0, half - sent));
        sent += piece.length;
        if (piece.length > 0) yield piece;
        if (sent >= half) break;
      }
      if (!Buffer.isBuffer(body)) body.destroy();
      throw new Error("simulated fault: the download broke off halfway");
    })(),
  );
};
