/** An MSB-first bit writer with the Exp-Golomb codes H.264 headers use. */
export const bitWriter = () => {
  const bits: number[] = [];
  const u = (width: number, value: number) => {
    for (let i = width - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  const ue = (value: number) => {
    const code = value + 1;
    const width = 32 - Math.clz32(code);
    u(width - 1, 0);
    u(width, code);
  };
  return {
    u,
    ue,
    se: (value: number) => ue(value <= 0 ? -2 * value : 2 * value - 1),
    alignWithZeros: () => {
      while (bits.length % 8 !== 0) bits.push(0);
    },
    /** rbsp_trailing_bits: a stop bit, then zeros to the byte boundary. */
    trailingBits: () => {
      bits.push(1);
      while (bits.length % 8 !== 0) bits.push(0);
    },
    bytes: (): Buffer => {
      if (bits.length % 8 !== 0) throw new Error("the bitstream is not byte-aligned");
      const out = Buffer.alloc(bits.length / 8);
      for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3]! |= 0x80 >> (i & 7);
      return out;
    },
  };
};
