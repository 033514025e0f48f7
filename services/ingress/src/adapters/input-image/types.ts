import type { Readable } from "node:stream";

/** `input_reference` as a request carries it, before any byte is trusted. */
export type InputReference =
  | { kind: "file"; stream: Readable; filename?: string; declaredType?: string }
  | { kind: "bytes"; bytes: Buffer }
  | { kind: "string"; value: string };

/** The image as a create request carried it, not fetched or decoded yet: a file part's bytes, or a string. */
export type PendingImage = Extract<InputReference, { kind: "bytes" | "string" }>;

/** How an image of other dimensions than the video is fitted to it (SPEC §1.1). */
export const inputFits = ["cover", "contain", "none"] as const;
export type InputFit = (typeof inputFits)[number];

export type ImageContentType = "image/jpeg" | "image/png" | "image/webp";

/** An image whose type was read from its own bytes and that decoded whole, with its upright dimensions. */
export interface InputImage {
  bytes: Buffer;
  contentType: ImageContentType;
  sha256: string;
  width: number;
  height: number;
}

export type { HostLookup, ResolvedAddress } from "@reelgate/outbound";

/** What the use cases and the form reader need of the image reader (tests give a stub). */
export interface InputImageReader {
  /** The largest image accepted, in bytes (sizes the multipart text fields that may carry it as base64). */
  readonly maxBytes?: number;
  /** A file part's bytes, capped (too large beyond), read while the form streams by. */
  receive(stream: Readable): Promise<Buffer>;
  /** Fetches (under the account's and the ingress's caps), decodes and checks the image. */
  read(input: PendingImage, options?: { account?: string }): Promise<InputImage>;
  /** The image fitted to the video's `WxH` size. */
  fit(image: InputImage, size: string, fit: InputFit): Promise<InputImage>;
}
