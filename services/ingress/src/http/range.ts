import type { ByteRange } from "@reelgate/object-storage";
import { ApiError } from "./api-error.ts";

/** A single `Range: bytes=a-b` (or `a-`, or `-n`) request against an object of `size` bytes; null means the whole object. */
export const parseRange = (header: string | undefined, size: number): ByteRange | null => {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = () =>
    new ApiError(416, `Range '${header}' cannot be served from ${size} bytes.`, {
      code: "range_not_satisfiable",
      headers: { "content-range": `bytes */${size}` },
    });
  if (!match || (match[1] === "" && match[2] === "")) throw unsatisfiable();
  const [, first, last] = match;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
};
