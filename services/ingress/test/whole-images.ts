/** Test images whose structure is whole (the reader walks PNG chunks to IEND; it does not check CRCs, so they are zero). */
export const pngChunk = (type: string, data: Buffer = Buffer.alloc(0)) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  return out;
};

/** A PNG of a header, one IDAT chunk holding `data`, and IEND. */
export const wholePngWith = (data: Buffer) =>
  Buffer.concat([
    Buffer.from("89504e470d0a1a0a", "hex"),
    pngChunk("IHDR", Buffer.alloc(13, 1)),
    pngChunk("IDAT", data),
    pngChunk("IEND"),
  ]);
