import { describe, expect, it } from "vitest";
import { idrSlice, pictureParameterSet, sequenceParameterSet } from "../../src/media/h264.ts";

/** Reads the bits back as a decoder would (the RBSPs here contain no emulation-prevention bytes). */
const bitReader = (nal: Buffer) => {
  let at = 8; // past the NAL header
  const bit = () => (nal[at >> 3]! >> (7 - (at++ & 7))) & 1;
  const u = (width: number) => {
    let value = 0;
    for (let i = 0; i < width; i++) value = value * 2 + bit();
    return value;
  };
  const ue = () => {
    let zeros = 0;
    while (bit() === 0) zeros++;
    return 2 ** zeros - 1 + u(zeros);
  };
  return {
    u,
    ue,
    aligned: () => at % 8 === 0,
    align: () => (at = Math.ceil(at / 8) * 8),
    bitsLeft: () => nal.length * 8 - at,
  };
};

describe("the H.264 picture", () => {
  it("has an SPS for a 16x16 Baseline stream and a PPS using CAVLC", () => {
    const sps = sequenceParameterSet();
    expect(sps[0]).toBe(0x67);
    const r = bitReader(sps);
    expect([r.u(8), r.u(8), r.u(8)]).toEqual([66, 0xc0, 10]);
    expect([r.ue(), r.ue(), r.ue(), r.ue(), r.u(1)]).toEqual([0, 0, 2, 1, 0]);
    expect([(r.ue() + 1) * 16, (r.ue() + 1) * 16]).toEqual([16, 16]);
    expect([r.u(1), r.u(1), r.u(1), r.u(1), r.u(1)]).toEqual([1, 1, 0, 0, 1]); // ..., stop bit
    expect(pictureParameterSet()[0]).toBe(0x68);
  });

  it("codes one I_PCM macroblock in an IDR slice: 384 samples, then the stop bit", () => {
    const slice = idrSlice({ y: 10, cb: 20, cr: 30 });
    expect(slice[0]).toBe(0x65);
    const r = bitReader(slice);
    expect([r.ue(), r.ue(), r.ue(), r.u(4), r.ue(), r.u(1), r.u(1), r.ue()]).toEqual([0, 7, 0, 0, 0, 0, 0, 0]);
    expect(r.ue()).toBe(25); // mb_type I_PCM
    r.align();
    const samples = Array.from({ length: 384 }, () => r.u(8));
    expect(samples.every((sample) => sample >= 16 && sample <= 235)).toBe(true);
    expect(r.bitsLeft()).toBe(8);
    expect(r.u(8)).toBe(0x80);
  });
});
