import type { Readable } from "node:stream";

/** `input_reference` as a request carries it, before any byte is trusted. */
export type InputReference =
  | { kind: "file"; stream: Readable; filename?: string; declaredType?: string }
  | { kind: "string"; value: string };

export type ImageContentType = "image/jpeg" | "image/png" | "image/webp";

/** An image whose type was read from its own bytes. */
export interface InputImage {
  bytes: Buffer;
  contentType: ImageContentType;
  sha256: string;
}

export type { HostLookup, ResolvedAddress } from "@reelgate/outbound";
