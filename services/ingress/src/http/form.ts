import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { Multipart } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";
import { ApiError } from "./api-error.ts";

/** The image to animate as the request carried it: a file part's bytes, or a URL, data URL or base64 string. */
export type PendingImage = { kind: "bytes"; bytes: Buffer } | { kind: "string"; value: string };

export type InputFit = "cover" | "contain" | "none";

export interface InputImage {
  bytes: Buffer;
  contentType: "image/jpeg" | "image/png" | "image/webp";
  sha256: string;
  width: number;
  height: number;
}

export interface InputImageReader {
  /** The largest image accepted, in bytes (sizes the multipart text fields that may carry it as base64). */
  readonly maxBytes?: number;
  /** A file part's bytes, capped (413 beyond), read while the form streams by. */
  receive(stream: Readable): Promise<Buffer>;
  /** Fetches (under the account's and the ingress's caps), decodes and checks the image. */
  read(input: PendingImage, options?: { account?: string }): Promise<InputImage>;
  /** The image fitted to the video's `WxH` size. */
  fit(image: InputImage, size: string, fit: InputFit): Promise<InputImage>;
}

export interface CreateBody {
  /** Every field but the image, for the schema to validate. */
  fields: Record<string, unknown>;
  /**
   * The image as sent, not fetched or decoded yet: that costs, so it waits until the fields and the balance
   * have been checked (a file part's bytes are read, since the form streams by only once).
   */
  image: PendingImage | undefined;
}

/** What identifies the image of a request for its Idempotency-Key: the bytes sent, or the string sent. */
export const imageFingerprint = (image: PendingImage | undefined): string | null =>
  image
    ? createHash("sha256")
        .update(image.kind === "bytes" ? image.bytes : `string:${image.value}`)
        .digest("hex")
    : null;

const IMAGE_FIELD = "input_reference";
const IMAGE_URL_FIELD = "input_reference[image_url]";

const bodyTooLarge = (limit: number) =>
  new ApiError(413, `The request body is larger than ${limit} bytes.`, { code: "request_too_large" });

const duplicateImage = () =>
  new ApiError(400, `Give '${IMAGE_FIELD}' once: this request has more than one.`, {
    param: IMAGE_FIELD,
    code: "duplicate_parameter",
  });

/**
 * Counts the bytes of a multipart body as they arrive (@fastify/multipart has limits per part, none for the
 * whole body). Over the limit, the parser is cut off and the rest of the body is read and dropped, so the 413
 * still reaches the client on a live connection; `race` makes whatever waits on the parser fail at once.
 */
const bodyCounter = (raw: IncomingMessage, limit: number) => {
  let seen = 0;
  let fail: (error: ApiError) => void = () => {};
  const over = new Promise<never>((_, reject) => {
    fail = reject;
  });
  over.catch(() => {});
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen <= limit) return;
    raw.off("data", onData);
    raw.unpipe();
    raw.resume();
    fail(bodyTooLarge(limit));
  };
  raw.on("data", onData);
  return {
    race: <T>(pending: Promise<T>) => Promise.race([pending, over]),
    stop: () => raw.off("data", onData),
  };
};

/**
 * A create body as plain fields plus the image, whether it came as JSON or multipart/form-data
 * (the OpenAI SDKs send multipart). `input_reference` may be a file part, a text field, an
 * `input_reference[image_url]` field, or in JSON a string or `{image_url}`.
 */
export const readCreateBody = (request: FastifyRequest, images: InputImageReader): Promise<CreateBody> =>
  readBody(request, images);

/** A body of plain fields (remix), JSON or multipart; `input_reference` is then a field like any other. */
export const readFormFields = async (request: FastifyRequest): Promise<Record<string, unknown>> =>
  (await readBody(request, undefined)).fields;

const readBody = async (request: FastifyRequest, images: InputImageReader | undefined): Promise<CreateBody> => {
  if (!request.isMultipart()) {
    const body = request.body;
    if (!body || typeof body !== "object" || Array.isArray(body) || !images)
      return { fields: body as Record<string, unknown>, image: undefined };
    const { [IMAGE_FIELD]: reference, ...fields } = body as Record<string, unknown>;
    if (reference === undefined) return { fields, image: undefined };
    return { fields, image: { kind: "string", value: imageUrlOf(reference) } };
  }
  // fastify's bodyLimit does not reach multipart bodies: the same limit is applied here, by header and by count.
  const limit = request.routeOptions.bodyLimit;
  if (Number(request.headers["content-length"]) > limit) throw bodyTooLarge(limit);
  const parts = request.parts()[Symbol.asyncIterator]();
  const first = parts.next(); // pipes the request into the parser; only then may the counter listen
  const counter = bodyCounter(request.raw, limit);
  try {
    return await readParts(first, parts, images, counter.race);
  } catch (error) {
    // Nothing more is parsed: the rest of the body is read and dropped, and the answer can go out.
    request.raw.unpipe();
    request.raw.resume();
    throw error;
  } finally {
    counter.stop();
  }
};

const readParts = async (
  first: Promise<IteratorResult<Multipart>>,
  parts: AsyncIterator<Multipart>,
  images: InputImageReader | undefined,
  race: <T>(pending: Promise<T>) => Promise<T>,
): Promise<CreateBody> => {
  const fields: Record<string, unknown> = {};
  let image: PendingImage | undefined;
  let imageSeen = false;
  for (let next = await race(first); !next.done; next = await race(parts.next())) {
    const part = next.value;
    const isImage =
      images !== undefined &&
      (part.fieldname === IMAGE_FIELD || (part.type === "field" && part.fieldname === IMAGE_URL_FIELD));
    if (isImage && imageSeen) {
      if (part.type === "file") part.file.resume();
      throw duplicateImage();
    }
    imageSeen ||= isImage;
    if (part.type === "file") {
      if (!isImage || !images) {
        part.file.resume();
        throw new ApiError(
          400,
          images
            ? `Unexpected file field '${part.fieldname}': only '${IMAGE_FIELD}' takes a file.`
            : `Unexpected file field '${part.fieldname}': this request takes no files.`,
          { param: part.fieldname, code: "unexpected_file" },
        );
      }
      image = { kind: "bytes", bytes: await race(images.receive(part.file)) };
      if (part.file.truncated)
        throw new ApiError(413, `'${IMAGE_FIELD}' is larger than the upload limit.`, {
          param: IMAGE_FIELD,
          code: "file_too_large",
        });
      continue;
    }
    // busboy cuts a text field at `fieldSize` and says so; a cut value must never be used (base64 still decodes).
    if (part.valueTruncated)
      throw new ApiError(413, `The field '${part.fieldname}' is larger than a multipart text field may be.`, {
        param: part.fieldname,
        code: "field_too_large",
      });
    if (isImage) image = { kind: "string", value: String(part.value) };
    else fields[part.fieldname] = part.value;
  }
  return { fields, image };
};

const imageUrlOf = (reference: unknown): string => {
  if (typeof reference === "string" && reference.length > 0) return reference;
  if (reference && typeof reference === "object" && !Array.isArray(reference)) {
    const { image_url: url, ...rest } = reference as Record<string, unknown>;
    if (typeof url === "string" && url.length > 0 && Object.keys(rest).length === 0) return url;
  }
  throw new ApiError(400, `Invalid '${IMAGE_FIELD}': give a URL, a data URL, base64, or {"image_url": "..."}.`, {
    param: IMAGE_FIELD,
    code: "invalid_value",
  });
};
