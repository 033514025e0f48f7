import { createHash } from "node:crypto";
import { Transform } from "node:stream";

/** A pass-through stream that counts the bytes and hashes them (sha256) on the way to the store. */
export const measuringStream = () => {
  const hash = createHash("sha256");
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  /** Once the stream has ended. */
  const measured = () => ({ bytes, sha256: hash.digest("hex") });
  return { stream, measured };
};
