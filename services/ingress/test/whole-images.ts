import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";

/** A PNG chunk (length, type, data, CRC), its CRC computed as decoders check it. */
export const pngChunk = (type: string, data: Buffer = Buffer.alloc(0)) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};

/** A real, decodable RGB PNG of `width` × `height`, with `padding` carried in a private ancillary chunk (decoders skip it). */
export const realPng = (width = 4, height = 4, padding: Buffer = Buffer.alloc(0)) => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x80)]);
  return Buffer.concat([
    Buffer.from("89504e470d0a1a0a", "hex"),
    pngChunk("IHDR", header),
    ...(padding.length > 0 ? [pngChunk("prVt", padding)] : []),
    pngChunk("IDAT", deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    pngChunk("IEND"),
  ]);
};

/** A whole, decodable 4×4 PNG carrying `data` (so a test can make an image of about any size). */
export const wholePngWith = (data: Buffer) => realPng(4, 4, data);

/** A real image of the format and dimensions, encoded by libvips. */
export const imageOf = (format: "png" | "jpeg" | "webp", width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .toFormat(format)
    .toBuffer();

/** Files that merely start like images (issue 9.8): each must be refused with 415. */
export const hostileImages = {
  "a PNG of signature + IEND": Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), pngChunk("IEND")]),
  "an 8-byte JPEG": Buffer.from("ffd8ffe000104a46", "hex"),
  "a 12-byte WebP": Buffer.concat([Buffer.from("RIFF"), Buffer.from([4, 0, 0, 0]), Buffer.from("WEBP")]),
  "a WebP wrapping HTML": (() => {
    const html = Buffer.from("<html><body><script>alert(1)</script></body></html>");
    const size = Buffer.alloc(4);
    size.writeUInt32LE(4 + html.length);
    return Buffer.concat([Buffer.from("RIFF"), size, Buffer.from("WEBP"), html]);
  })(),
} as const;
