import { createHash } from "node:crypto";
import { Transform } from "node:stream";

/** Counts bytes and hashes them (sha256) as they go by. */
export const byteMeasure = () => {
  const hash = createHash("sha256");
  let bytes = 0;
  return {
    add(chunk: Uint8Array) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    },
    /** Once every chunk has been added. */
    measured: () => ({ bytes, sha256: hash.digest("hex") }),
  };
};

/** A pass-through stream that counts the bytes and hashes them (sha256) on the way to the store. */
export const measuringStream = () => {
  const { add, measured } = byteMeasure();
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      add(chunk);
      done(null, chunk);
    },
  });
  return { stream, measured };
};
