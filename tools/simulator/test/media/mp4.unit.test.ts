import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { minimumMp4Size, mp4Bytes, mp4Stream } from "../../src/media/mp4.ts";
import { boxAt, parseBoxes } from "./boxes.ts";

const collect = async (stream: AsyncIterable<Buffer>) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
};

/** The NAL units of a length-prefixed (4-byte) H.264 sample. */
const nalTypesOf = (sample: Buffer) => {
  const types: number[] = [];
  for (let at = 0; at < sample.length; ) {
    const length = sample.readUInt32BE(at);
    types.push(sample[at + 4]! & 0x1f);
    at += 4 + length;
    if (at > sample.length) throw new Error("a NAL unit runs past the sample");
  }
  return types;
};

const expectPlayableStructure = (file: Buffer) => {
  const boxes = parseBoxes(file);
  expect(boxes[0]!.type).toBe("ftyp");
  expect(boxes.reduce((sum, box) => sum + box.size, 0)).toBe(file.length);
  expect(boxes.map((box) => box.type)).toEqual(expect.arrayContaining(["moov", "mdat"]));
  expect(boxAt(boxes, "moov/trak/mdia/hdlr").payload.toString("latin1", 8, 12)).toBe("vide");

  const stbl = "moov/trak/mdia/minf/stbl";
  const stsd = boxAt(boxes, `${stbl}/stsd`).payload;
  expect(stsd.toString("latin1", 12, 16)).toBe("avc1");
  const avcC = stsd.subarray(8 + 8 + 78);
  expect(avcC.toString("latin1", 4, 8)).toBe("avcC");
  expect(avcC[8]).toBe(1); // configurationVersion
  expect(avcC[9]).toBe(66); // Baseline

  const sampleSize = boxAt(boxes, `${stbl}/stsz`).payload.readUInt32BE(12);
  const chunkOffset = boxAt(boxes, `${stbl}/stco`).payload.readUInt32BE(8);
  const mdat = boxAt(boxes, "mdat");
  expect(chunkOffset).toBe(mdat.start + mdat.headerSize);
  expect(chunkOffset + sampleSize).toBeLessThanOrEqual(mdat.start + mdat.size);
  expect(nalTypesOf(file.subarray(chunkOffset, chunkOffset + sampleSize))).toEqual([5]); // one IDR slice

  const duration = boxAt(boxes, "moov/mvhd").payload.readUInt32BE(16);
  const timescale = boxAt(boxes, "moov/mvhd").payload.readUInt32BE(12);
  return { boxes, seconds: duration / timescale };
};

describe("the MP4 generator", () => {
  it("builds ftyp first, then moov and mdat, with sizes that add up and the sample where stco points", () => {
    const { seconds } = expectPlayableStructure(mp4Bytes("sim_a", { seconds: 8 }));
    expect(seconds).toBe(8);
  });

  it("embeds the job id, so two jobs' videos differ while one job's is stable", () => {
    const a = mp4Bytes("sim_a");
    expect(a.includes(Buffer.from("sim_a"))).toBe(true);
    expect(a.equals(mp4Bytes("sim_b"))).toBe(false);
    expect(a.equals(mp4Bytes("sim_a"))).toBe(true);
  });

  it("streams a file of exactly the asked size, padded by a trailing free box", async () => {
    const file = await collect(mp4Stream("sim_big", 3_000_000));
    expect(file.length).toBe(3_000_000);
    const { boxes } = expectPlayableStructure(file);
    expect(boxes.at(-1)!.type).toBe("free");
    expect(file.subarray(0, minimumMp4Size("sim_big")).equals(mp4Bytes("sim_big"))).toBe(true);
  });

  it("takes padding too small for a box inside the moov", async () => {
    const base = minimumMp4Size("sim_x");
    for (const extra of [0, 1, 7, 8, 9]) {
      const file = await collect(mp4Stream("sim_x", base + extra));
      expect(file.length).toBe(base + extra);
      expectPlayableStructure(file);
    }
  });

  it("uses a 64-bit free box beyond 4 GiB, without building the file in memory", async () => {
    const total = 5 * 1024 ** 3;
    const stream = mp4Stream("sim_huge", total);
    const head: Buffer[] = [];
    for await (const chunk of stream) {
      head.push(chunk);
      if (head.length === 2) break;
    }
    const [movie, freeHeader] = head as [Buffer, Buffer];
    expect(freeHeader.readUInt32BE(0)).toBe(1);
    expect(freeHeader.toString("latin1", 4, 8)).toBe("free");
    expect(Number(freeHeader.readBigUInt64BE(8))).toBe(total - movie.length);
  });

  it("refuses a size smaller than the movie itself", () => {
    expect(() => mp4Stream("sim_a", 100)).toThrow(RangeError);
  });
});
