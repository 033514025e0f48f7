import type { Readable } from "node:stream";
import { addressPolicy } from "./address-policy.ts";
import { decodeImageDataUrl, decodeStrictBase64 } from "./base64.ts";
import { decodeImage, fitImage } from "./decode.ts";
import { imageTooLarge, incompleteImage, notAnImage } from "./errors.ts";
import { fetchSlots } from "./fetch-slots.ts";
import { readCapped } from "./read-capped.ts";
import { remoteImageFetcher, systemLookup } from "./remote-fetch.ts";
import { isCompleteImage, sniffImageType } from "./sniff.ts";
import type { HostLookup, InputImage, InputReference } from "./types.ts";

export const inputImageDefaults = {
  maxBytes: 20 * 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 3,
  maxFetchesPerAccount: 4,
  maxFetches: 64,
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
  /** Host names an operator exempts from the address rules (the host-name entries of REELGATE_OUTBOUND_ALLOW). */
  allowedHosts?: string[];
  /** Remote fetches one account may have in flight at once (429 beyond). */
  maxFetchesPerAccount?: number;
  /** Remote fetches this ingress may have in flight at once (503 beyond). */
  maxFetches?: number;
}

const hasScheme = /^[a-z][a-z0-9+.-]*:/i;

/** Turns every form of `input_reference` into checked, decoded image bytes. */
export const inputImageReader = (options: InputImageReaderOptions = {}) => {
  const { maxBytes, timeoutMs, maxRedirects, maxFetchesPerAccount, maxFetches } = {
    ...inputImageDefaults,
    ...options,
  };
  const policy = { ...addressPolicy(options.allowedCidrs ?? []), hosts: new Set(options.allowedHosts ?? []) };
  const remote = remoteImageFetcher({
    maxBytes,
    timeoutMs,
    maxRedirects,
    lookup: options.lookup ?? systemLookup,
    policy,
  });
  const slots = fetchSlots({ perAccount: maxFetchesPerAccount, total: maxFetches });

  /** A file part's bytes, capped: read while the form streams by, decoded only once the request is accepted. */
  const receive = async (stream: Readable): Promise<Buffer> => {
    const bytes = await readCapped(stream, maxBytes);
    // @fastify/multipart marks a file cut at its own size limit instead of failing it.
    if ((stream as { truncated?: boolean }).truncated) throw imageTooLarge(maxBytes);
    return bytes;
  };

  const bytesOf = async (input: InputReference, account: string): Promise<Buffer> => {
    if (input.kind === "file") return receive(input.stream);
    if (input.kind === "bytes") return input.bytes;
    const value = input.value.trim();
    if (/^data:/i.test(value)) return decodeImageDataUrl(value, maxBytes);
    if (hasScheme.test(value)) return slots.run(account, () => remote.fetchBytes(value));
    return decodeStrictBase64(value, maxBytes);
  };

  return {
    /** The image cap, for the multipart parser to size its text fields (base64 of an image this large must fit). */
    maxBytes,
    receive,
    /**
     * The image, checked: its type sniffed from its bytes, then decoded whole (415 when it does not decode).
     * Remote fetches count against `account`'s cap and the ingress's.
     */
    async read(input: InputReference, { account = "" }: { account?: string } = {}): Promise<InputImage> {
      const bytes = await bytesOf(input, account);
      const contentType = sniffImageType(bytes);
      if (!contentType) throw notAnImage();
      // The structure walk names the likely cause (cut off in transit); libvips, lenient with some cut-off
      // files, decides whether it is an image at all.
      const complete = isCompleteImage(bytes, contentType);
      const image = await decodeImage(bytes, contentType).catch((error: unknown) => {
        throw complete ? error : incompleteImage(contentType);
      });
      if (!complete) throw incompleteImage(contentType);
      return image;
    },
    fit: fitImage,
    /** Remote fetches in flight now (tests watch the cap). */
    get fetchesInFlight() {
      return slots.inFlight;
    },
  };
};
