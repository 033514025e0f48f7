import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { Multipart } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";
import type { InputImageReader, PendingImage } from "../adapters/input-image/index.ts";
import { ApiError } from "./api-error.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The body as sent and the file part of a multipart request, read before validation. */
    form: FormFile | undefined;
  }
}

/** What a request carried before validation: its fields as sent (the JSON body, or a form's text fields), and a form's file. */
export interface FormFile {
  /** What an `Idempotency-Key` compares: the request as sent, not as parsed (defaults and coercions aside). */
  sent: Record<string, unknown>;
  file: ReceivedFile | undefined;
  /** The file field given as text instead (an image's URL or base64), for a field that `takesText`. */
  text: string | undefined;
}

/** What identifies the image of a request for its Idempotency-Key: the bytes sent, or the string sent. */
export const imageFingerprint = (image: PendingImage | undefined): string | null =>
  image
    ? createHash("sha256")
        .update(image.kind === "bytes" ? image.bytes : `string:${image.value}`)
        .digest("hex")
    : null;

export const IMAGE_FIELD = "input_reference";
const IMAGE_URL_FIELD = "input_reference[image_url]";

const bodyTooLarge = (limit: number) =>
  new ApiError(413, `The request body is larger than ${limit} bytes.`, { code: "request_too_large" });

const duplicateFile = (field: string) =>
  new ApiError(400, `Give '${field}' once: this request has more than one.`, {
    param: field,
    code: "duplicate_parameter",
  });

/** The one field of a form that may carry a file, and how its bytes are read. */
interface FileField {
  name: string;
  /** A text field that stands for it too (`input_reference[image_url]`). */
  alias?: string;
  /** Whether a text field of its name is the thing itself (an image's URL or base64) rather than a plain field. */
  takesText: boolean;
  receive(stream: Readable): Promise<Buffer>;
}

/** A file part as received: its bytes, and what its part header said of it. */
export interface ReceivedFile {
  bytes: Buffer;
  filename: string;
  contentType: string;
}

const imageField = (images: InputImageReader): FileField => ({
  name: IMAGE_FIELD,
  alias: IMAGE_URL_FIELD,
  takesText: true,
  receive: (stream) => images.receive(stream),
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
 * A preValidation hook: a multipart/form-data request (the OpenAI SDKs send it) is read here, so its plain
 * fields become the body fastify validates with the route's one zod schema, exactly as a JSON body is; the
 * file part (`file`, if the route takes one) goes to `request.form`. A JSON body passes untouched (and is
 * kept as sent in `request.form.sent`).
 */
export const multipartBody =
  (file: FileField | undefined) =>
  async (request: FastifyRequest): Promise<void> => {
    if (!request.isMultipart()) {
      request.form = { sent: request.body as Record<string, unknown>, file: undefined, text: undefined };
      return;
    }
    const form = await readMultipart(request, file);
    request.body = form.fields;
    request.form = { sent: form.fields, file: form.file, text: form.text };
  };

/** The create form's image: a file part `input_reference`, or the same field (or `input_reference[image_url]`) as text. */
export const imageForm = (images: InputImageReader) => multipartBody(imageField(images));

/** A form whose one file part is `field` (an edit's or extension's `video`, a character's video). */
export const fileForm = (field: string) => multipartBody({ name: field, takesText: false, receive: readAll });

/** A form of plain fields only (remix): `input_reference` is then a field like any other. */
export const plainForm = multipartBody(undefined);

/** The image of a create as sent, not fetched or decoded yet (that costs, so it waits for the checks). */
export const pendingImage = (request: FastifyRequest, jsonUrl: string | undefined): PendingImage | undefined => {
  const file = request.form?.file;
  if (file) return { kind: "bytes", bytes: file.bytes };
  const text = request.form?.text ?? jsonUrl;
  return text !== undefined ? { kind: "string", value: text } : undefined;
};

const readAll = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

interface MultipartBody {
  fields: Record<string, unknown>;
  file: ReceivedFile | undefined;
  /** The file field given as text instead (only for a field that `takesText`). */
  text: string | undefined;
}

const readMultipart = async (request: FastifyRequest, file: FileField | undefined): Promise<MultipartBody> => {
  // fastify's bodyLimit does not reach multipart bodies: the same limit is applied here, by header and by count.
  const limit = request.routeOptions.bodyLimit;
  if (Number(request.headers["content-length"]) > limit) throw bodyTooLarge(limit);
  const parts = request.parts()[Symbol.asyncIterator]();
  const first = parts.next(); // pipes the request into the parser; only then may the counter listen
  const counter = bodyCounter(request.raw, limit);
  try {
    return await readParts(first, parts, file, counter.race);
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
  file: FileField | undefined,
  race: <T>(pending: Promise<T>) => Promise<T>,
): Promise<MultipartBody> => {
  const fields: Record<string, unknown> = {};
  let received: ReceivedFile | undefined;
  let text: string | undefined;
  let fileSeen = false;
  for (let next = await race(first); !next.done; next = await race(parts.next())) {
    const part = next.value;
    const isFile =
      file !== undefined &&
      (part.type === "file"
        ? part.fieldname === file.name
        : file.takesText && (part.fieldname === file.name || part.fieldname === file.alias));
    if (isFile && fileSeen) {
      if (part.type === "file") part.file.resume();
      throw duplicateFile(file.name);
    }
    fileSeen ||= isFile;
    if (part.type === "file") {
      if (!isFile || !file) {
        part.file.resume();
        throw new ApiError(
          400,
          file
            ? `Unexpected file field '${part.fieldname}': only '${file.name}' takes a file.`
            : `Unexpected file field '${part.fieldname}': this request takes no files.`,
          { param: part.fieldname, code: "unexpected_file" },
        );
      }
      const bytes = await race(file.receive(part.file));
      if (part.file.truncated)
        throw new ApiError(413, `'${file.name}' is larger than the upload limit.`, {
          param: file.name,
          code: "file_too_large",
        });
      received = { bytes, filename: part.filename, contentType: part.mimetype };
      continue;
    }
    // busboy cuts a text field at `fieldSize` and says so; a cut value must never be used (base64 still decodes).
    if (part.valueTruncated)
      throw new ApiError(413, `The field '${part.fieldname}' is larger than a multipart text field may be.`, {
        param: part.fieldname,
        code: "field_too_large",
      });
    if (isFile) text = String(part.value);
    else fields[part.fieldname] = part.value;
  }
  return { fields, file: received, text };
};
/** A JSON `input_reference`'s URL (a URL, data URL or base64 string, or `{image_url}`); undefined for anything else. */
export const imageUrlOf = (reference: unknown): string | undefined => {
  if (typeof reference === "string" && reference.length > 0) return reference;
  if (reference && typeof reference === "object" && !Array.isArray(reference)) {
    const { image_url: url, ...rest } = reference as Record<string, unknown>;
    if (typeof url === "string" && url.length > 0 && Object.keys(rest).length === 0) return url;
  }
  return undefined;
};
