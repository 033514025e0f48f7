import type { Readable } from "node:stream";
import { OutboundError } from "./errors.ts";

/**
 * Buffers a stream up to `maxBytes`, failing with an OutboundError `too_large` as soon as it goes over.
 * On overflow the rest is drained, not destroyed, so a multipart parser upstream of a file part can carry on.
 */
export const readCapped = (stream: Readable, maxBytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const settle = (finish: () => void) => {
      stream.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      // Errors after we stopped listening must not crash the process.
      stream.on("error", () => {});
      finish();
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        settle(() => reject(new OutboundError("too_large", `larger than ${maxBytes} bytes`, maxBytes)));
        stream.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks, total)));
    const onError = (error: Error) => settle(() => reject(error));
    const onClose = () => settle(() => reject(new Error("the stream closed before its end")));
    stream.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
