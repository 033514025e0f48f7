import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { box, boxHeader, fullBox, u8, u16, u32, unityMatrix, zeros } from "./box.ts";
import {
  FRAME_HEIGHT,
  FRAME_WIDTH,
  idrSlice,
  LEVEL_1,
  PROFILE_BASELINE,
  PROFILE_COMPATIBILITY,
  pictureParameterSet,
  sequenceParameterSet,
} from "./h264.ts";

export interface Mp4Options {
  /** How long the single frame is shown, so the file's duration matches the job's. */
  seconds?: number;
}

const TIMESCALE = 1000;
const FREE_HEADER = 8;
const PADDING_CHUNK = Buffer.alloc(64 * 1024);

/** The job's colour, so every job's picture (and bytes) differ. */
const colourOf = (jobId: string) => {
  const digest = createHash("sha256").update(jobId).digest();
  return { y: digest[0]!, cb: digest[1]!, cr: digest[2]! };
};

const avcSampleEntry = (sps: Buffer, pps: Buffer) =>
  box(
    "avc1",
    zeros(6), // reserved
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved
    u16(FRAME_WIDTH),
    u16(FRAME_HEIGHT),
    u32(0x00480000), // 72 dpi
    u32(0x00480000),
    u32(0),
    u16(1), // frame_count
    zeros(32), // compressorname
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = -1
    box(
      "avcC",
      u8(1),
      u8(PROFILE_BASELINE),
      u8(PROFILE_COMPATIBILITY),
      u8(LEVEL_1),
      u8(0xff), // 4-byte NAL lengths
      u8(0xe1), // one SPS
      u16(sps.length),
      sps,
      u8(1), // one PPS
      u16(pps.length),
      pps,
    ),
  );

const movieBox = (jobId: string, durationMs: number, sampleSize: number, sampleOffset: number, note: Buffer) =>
  box(
    "moov",
    fullBox(
      "mvhd",
      0,
      0,
      u32(0),
      u32(0),
      u32(TIMESCALE),
      u32(durationMs),
      u32(0x00010000),
      u16(0x0100),
      zeros(10),
      unityMatrix(),
      zeros(24),
      u32(2),
    ),
    box(
      "trak",
      fullBox(
        "tkhd",
        0,
        3,
        u32(0),
        u32(0),
        u32(1),
        u32(0),
        u32(durationMs),
        zeros(8),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        unityMatrix(),
        u32(FRAME_WIDTH << 16),
        u32(FRAME_HEIGHT << 16),
      ),
      box(
        "mdia",
        fullBox("mdhd", 0, 0, u32(0), u32(0), u32(TIMESCALE), u32(durationMs), u16(0x55c4), u16(0)),
        fullBox("hdlr", 0, 0, u32(0), Buffer.from("vide"), zeros(12), Buffer.from("VideoHandler\0")),
        box(
          "minf",
          fullBox("vmhd", 0, 1, zeros(8)),
          box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1))),
          box(
            "stbl",
            fullBox("stsd", 0, 0, u32(1), avcSampleEntry(sequenceParameterSet(), pictureParameterSet())),
            fullBox("stts", 0, 0, u32(1), u32(1), u32(durationMs)),
            fullBox("stss", 0, 0, u32(1), u32(1)),
            fullBox("stsc", 0, 0, u32(1), u32(1), u32(1), u32(1)),
            fullBox("stsz", 0, 0, u32(0), u32(1), u32(sampleSize)),
            fullBox("stco", 0, 0, u32(1), u32(sampleOffset)),
          ),
        ),
      ),
    ),
    box("udta", box("free", Buffer.from(`reelgate-simulator job=${jobId}`), note)),
  );

/** ftyp + moov + mdat: the file up to where padding may follow. `note` grows the moov by that many bytes. */
const movieHead = (jobId: string, seconds: number, noteBytes = 0): Buffer => {
  const ftyp = box("ftyp", Buffer.from("isom"), u32(0x200), Buffer.from("isomiso2avc1mp41"));
  const slice = idrSlice(colourOf(jobId));
  const sample = Buffer.concat([u32(slice.length), slice]);
  const durationMs = Math.max(1, Math.round(seconds * TIMESCALE));
  const note = Buffer.alloc(noteBytes, 0x20);
  // The moov's size does not depend on the offset's value, so measure it once with a placeholder.
  const moovSize = movieBox(jobId, durationMs, sample.length, 0, note).length;
  const sampleOffset = ftyp.length + moovSize + 8;
  const moov = movieBox(jobId, durationMs, sample.length, sampleOffset, note);
  return Buffer.concat([ftyp, moov, box("mdat", sample)]);
};

/** A small valid MP4 (one 16x16 H.264 frame) whose bytes depend on the job id. */
export const mp4Bytes = (jobId: string, { seconds = 1 }: Mp4Options = {}): Buffer => movieHead(jobId, seconds);

/** The smallest total size `mp4Stream` can produce for this job. */
export const minimumMp4Size = (jobId: string, options: Mp4Options = {}) => mp4Bytes(jobId, options).length;

/**
 * An MP4 of exactly `totalBytes`: the small movie, then a trailing `free` box streamed in chunks, so a
 * multi-gigabyte file never sits in memory. Padding too short for a box header goes inside the moov.
 */
export const mp4Stream = (jobId: string, totalBytes: number, { seconds = 1 }: Mp4Options = {}): Readable => {
  const base = minimumMp4Size(jobId, { seconds });
  if (!Number.isSafeInteger(totalBytes) || totalBytes < base) {
    throw new RangeError(`an MP4 for this job needs at least ${base} bytes, asked for ${totalBytes}`);
  }
  const padding = totalBytes - base;
  const head = padding > 0 && padding < FREE_HEADER ? movieHead(jobId, seconds, padding) : movieHead(jobId, seconds);
  return Readable.from(paddedChunks(head, padding >= FREE_HEADER ? padding : 0), { objectMode: false });
};

function* paddedChunks(head: Buffer, padding: number): Generator<Buffer> {
  yield head;
  if (padding === 0) return;
  const header = boxHeader("free", padding);
  yield header;
  let left = padding - header.length;
  while (left > 0) {
    const size = Math.min(left, PADDING_CHUNK.length);
    yield size === PADDING_CHUNK.length ? PADDING_CHUNK : PADDING_CHUNK.subarray(0, size);
    left -= size;
  }
}

/**
 * The duration in whole seconds an MP4's movie header (`mvhd`) states, or undefined when the bytes hold none: how
 * the simulator learns the length of an uploaded video it is asked to extend.
 */
export const mp4SecondsOf = (bytes: Buffer): number | undefined => {
  const at = bytes.indexOf("mvhd", 0, "latin1");
  if (at < 4) return undefined;
  const start = at + 4;
  const version = bytes[start];
  const read = (offset: number, size: 4 | 8) =>
    start + offset + size > bytes.length
      ? undefined
      : size === 4
        ? bytes.readUInt32BE(start + offset)
        : Number(bytes.readBigUInt64BE(start + offset));
  const timescale = version === 1 ? read(20, 4) : read(12, 4);
  const duration = version === 1 ? read(24, 8) : read(16, 4);
  if (!timescale || duration === undefined) return undefined;
  return Math.round(duration / timescale);
};
