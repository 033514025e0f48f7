import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const chunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
};

/** An 8-bit RGB PNG; `pixel(x, y)` gives [r, g, b]. */
export const png = (width: number, height: number, pixel: (x: number, y: number) => readonly number[]): Buffer => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const start = y * (1 + width * 3); // each row starts with filter type 0 (None)
    for (let x = 0; x < width; x++) rows.set(pixel(x, y).slice(0, 3), start + 1 + x * 3);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
};

const colourOf = (jobId: string) => [...createHash("sha256").update(`png:${jobId}`).digest().subarray(0, 3)];

/** A 32x18 still in the job's colour. */
export const thumbnailPng = (jobId: string): Buffer => {
  const [r, g, b] = colourOf(jobId) as [number, number, number];
  return png(32, 18, (x, y) => [(r + x * 4) & 0xff, (g + y * 4) & 0xff, b]);
};

/** A strip of four 32x18 frames, each a little brighter than the last. */
export const spritesheetPng = (jobId: string): Buffer => {
  const [r, g, b] = colourOf(jobId) as [number, number, number];
  return png(128, 18, (x) => {
    const frame = Math.floor(x / 32);
    return [(r + frame * 40) & 0xff, (g + frame * 40) & 0xff, (b + frame * 40) & 0xff];
  });
};
