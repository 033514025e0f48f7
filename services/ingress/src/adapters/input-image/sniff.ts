import type { ImageContentType } from "./types.ts";

const startsWith = (bytes: Buffer, magic: number[], at = 0) =>
  bytes.length >= at + magic.length && magic.every((byte, i) => bytes[at + i] === byte);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image type the bytes themselves announce; declared types and file names are never trusted. */
export const sniffImageType = (bytes: Buffer): ImageContentType | null => {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, PNG_SIGNATURE)) return "image/png";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return null;
};

/**
 * PNG: the chunks (length, type, data, CRC) follow one another to an `IEND` chunk. Bytes after `IEND` are
 * tolerated (some tools pad files), a chunk that runs past the end or a missing `IEND` is not.
 */
const pngComplete = (bytes: Buffer) => {
  let at = PNG_SIGNATURE.length;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const next = at + 12 + length;
    if (next > bytes.length) return false;
    if (type === "IEND") return length === 0;
    at = next;
  }
  return false;
};

const isStandalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

/**
 * JPEG: the marker segments are walked from SOI, over each scan's entropy-coded data (where 0xFF is always
 * followed by 0x00 or a restart marker), to the EOI marker (FF D9). Bytes after EOI are tolerated: zero padding,
 * and trailers such as the video of a "motion photo", which are not part of the image. An image cut anywhere
 * before its EOI is refused; an EXIF thumbnail's own EOI inside an APP segment does not count.
 */
const jpegComplete = (bytes: Buffer) => {
  let at = 2;
  let sawScan = false;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) return false;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte before a marker
      continue;
    }
    if (marker === 0xd9) return sawScan;
    if (isStandalone(marker)) {
      at += 2;
      continue;
    }
    if (at + 4 > bytes.length) return false;
    const next = at + 2 + bytes.readUInt16BE(at + 2);
    if (next > bytes.length || next < at + 4) return false;
    at = next;
    if (marker !== 0xda) continue;
    // Entropy-coded data of a scan, up to the next real marker.
    sawScan = true;
    for (;;) {
      at = bytes.indexOf(0xff, at);
      if (at < 0 || at + 1 >= bytes.length) return false;
      const following = bytes[at + 1]!;
      if (following !== 0x00 && !isStandalone(following)) break;
      at += 2;
    }
  }
  return false;
};

/** WebP: the RIFF size field (little-endian, at byte 4) plus its 8-byte header is exactly the length. */
const webpComplete = (bytes: Buffer) => bytes.length >= 12 && bytes.readUInt32LE(4) + 8 === bytes.length;

/**
 * Whether an image that sniffed as `type` is whole: a PNG, JPEG or WebP cut short in transit (a truncated upload,
 * a cut-off data URL) is refused instead of being stored and sent upstream.
 */
export const isCompleteImage = (bytes: Buffer, type: ImageContentType): boolean =>
  type === "image/png" ? pngComplete(bytes) : type === "image/jpeg" ? jpegComplete(bytes) : webpComplete(bytes);
