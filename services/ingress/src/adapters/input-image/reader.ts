import { createHash } from "node:crypto";
import { addressPolicy } from "./address-policy.ts";
import { decodeImageDataUrl, decodeStrictBase64 } from "./base64.ts";
import { imageTooLarge, incompleteImage, notAnImage } from "./errors.ts";
import { readCapped } from "./read-capped.ts";
import { remoteImageFetcher, systemLookup } from "./remote-fetch.ts";
import { isCompleteImage, sniffImageType } from "./sniff.ts";
import type { HostLookup, InputImage, InputReference } from "./types.ts";

export const inputImageDefaults = {
  maxBytes: 20 * 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 3,
} as const;

export interface InputImageReaderOptions {
  /** Largest image accepted, in bytes; beyond it the answer is 413. */
  maxBytes?: number;
  /** Deadline for a whole remote fetch (DNS, every hop, the body). */
  timeoutMs?: number;
  maxRedirects?: number;
  lookup?: HostLookup;
  /** Operator exceptions to the address rules, e.g. an internal image host (`10.1.2.0/24`). */
  allowedCidrs?: string[];
}

const hasScheme = /^[a-z][a-z0-9+.-]*:/i;

/** Turns every form of `input_reference` into checked image bytes. */
export const inputImageReader = (options: InputImageReaderOptions = {}) => {
  const { maxBytes, timeoutMs, maxRedirects } = { ...inputImageDefaults, ...options };
  const policy = addressPolicy(options.allowedCidrs ?? []);
  const remote = remoteImageFetcher({
    maxBytes,
    timeoutMs,
    maxRedirects,
    lookup: options.lookup ?? systemLookup,
    policy,
  });

  const bytesOf = async (input: InputReference): Promise<Buffer> => {
    if (input.kind === "file") {
      const bytes = await readCapped(input.stream, maxBytes);
      // @fastify/multipart marks a file cut at its own size limit instead of failing it.
      if ((input.stream as { truncated?: boolean }).truncated) throw imageTooLarge(maxBytes);
      return bytes;
    }
    const value = input.value.trim();
    if (/^data:/i.test(value)) return decodeImageDataUrl(value, maxBytes);
    if (hasScheme.test(value)) return remote.fetchBytes(value);
    return decodeStrictBase64(value, maxBytes);
  };

  return {
    /** The image cap, for the multipart parser to size its text fields (base64 of an image this large must fit). */
    maxBytes,
    async read(input: InputReference): Promise<InputImage> {
      const bytes = await bytesOf(input);
      const contentType = sniffImageType(bytes);
      if (!contentType) throw notAnImage();
      if (!isCompleteImage(bytes, contentType)) throw incompleteImage(contentType);
      return { bytes, contentType, sha256: createHash("sha256").update(bytes).digest("hex") };
    },
  };
};

export type InputImageReader = ReturnType<typeof inputImageReader>;
