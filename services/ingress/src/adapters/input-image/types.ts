import type { Readable } from "node:stream";

/** `input_reference` as a request carries it, before any byte is trusted. */
export type InputReference =
  | { kind: "file"; stream: Readable; filename?: string; declaredType?: string }
  | { kind: "bytes"; bytes: Buffer }
  | { kind: "string"; value: string };

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
