import { crc32, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { png, spritesheetPng, thumbnailPng } from "../../src/media/png.ts";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Splits a PNG into chunks, checking every CRC. */
const chunksOf = (file: Buffer) => {
  expect(file.subarray(0, 8).equals(SIGNATURE)).toBe(true);
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    expect(file.readUInt32BE(at + 8 + length)).toBe(crc32(file.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  return chunks;
};

describe("the PNG generator", () => {
  it("writes the signature, IHDR first, IDAT, IEND last, with valid CRCs", () => {
    const chunks = chunksOf(thumbnailPng("sim_a"));
    expect(chunks.map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const ihdr = chunks[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([32, 18, 8, 2]);
    expect(chunks[2]!.data.length).toBe(0);
  });

  it("round-trips the pixels through zlib, one filter byte per row", () => {
    const pixels = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const chunks = chunksOf(png(2, 1, (x) => pixels[x]!));
    expect([...inflateSync(chunks[1]!.data)]).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("gives each job its own picture, and a spritesheet four frames wide", () => {
    expect(thumbnailPng("sim_a").equals(thumbnailPng("sim_b"))).toBe(false);
    const ihdr = chunksOf(spritesheetPng("sim_a"))[0]!.data;
    expect(ihdr.readUInt32BE(0)).toBe(128);
    expect(inflateSync(chunksOf(spritesheetPng("sim_a"))[1]!.data).length).toBe(18 * (1 + 128 * 3));
  });
});
