import type { Readable } from "node:stream";
import { readCapped as readCappedBytes } from "@reelgate/outbound";
import { imageTooLarge } from "./errors.ts";

/** Buffers a file part up to `maxBytes`, failing with 413 as soon as it goes over (the rest is drained). */
export const readCapped = async (stream: Readable, maxBytes: number): Promise<Buffer> => {
  try {
    return await readCappedBytes(stream, maxBytes);
  } catch (error) {
    if ((error as { kind?: string }).kind === "too_large") throw imageTooLarge(maxBytes);
    throw error;
  }
};
