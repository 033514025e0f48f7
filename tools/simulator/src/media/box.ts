/** ISO BMFF box builders: a box is a 32-bit size, a four-character type and its payload. */
export const u8 = (value: number) => Buffer.of(value & 0xff);

export const u16 = (value: number) => {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
};

export const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
};

export const u64 = (value: number) => {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
};

export const zeros = (length: number) => Buffer.alloc(length);

export const box = (type: string, ...payload: Buffer[]): Buffer => {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, "latin1"), body]);
};

/** A box whose payload starts with a version byte and 24 bits of flags. */
export const fullBox = (type: string, version: number, flags: number, ...payload: Buffer[]) =>
  box(type, u8(version), u8(flags >> 16), u16(flags & 0xffff), ...payload);

/** The header alone, for a box whose payload is streamed; 64-bit size when it must be. */
export const boxHeader = (type: string, totalSize: number): Buffer =>
  totalSize > 0xffffffff
    ? Buffer.concat([u32(1), Buffer.from(type, "latin1"), u64(totalSize)])
    : Buffer.concat([u32(totalSize), Buffer.from(type, "latin1")]);

/** The unity transformation matrix of mvhd and tkhd. */
export const unityMatrix = () =>
  Buffer.concat([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map((value) => u32(value)));
