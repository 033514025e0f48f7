import type { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import { ApiError } from "./api-error.ts";

/** Where the image to animate came from, before it is fetched, decoded or read. */
export type InputReferenceSource =
  | { kind: "file"; stream: Readable; filename?: string; declaredType?: string }
  | { kind: "string"; value: string };

export interface InputImage {
  bytes: Buffer;
  contentType: "image/jpeg" | "image/png" | "image/webp";
  sha256: string;
}

export interface InputImageReader {
  read(input: InputReferenceSource): Promise<InputImage>;
}

export interface CreateBody {
  /** Every field but the image, for the schema to validate. */
  fields: Record<string, unknown>;
  /** The image, already read and checked (a file part has to be read while the form streams by). */
  image: InputImage | undefined;
}

const IMAGE_FIELD = "input_reference";
const IMAGE_URL_FIELD = "input_reference[image_url]";

/**
 * A create body as plain fields plus the image, whether it came as JSON or multipart/form-data
 * (the OpenAI SDKs send multipart). `input_reference` may be a file part, a text field, an
 * `input_reference[image_url]` field, or in JSON a string or `{image_url}`.
 */
export const readCreateBody = async (request: FastifyRequest, images: InputImageReader): Promise<CreateBody> => {
  if (!request.isMultipart()) {
    const body = request.body;
    if (!body || typeof body !== "object" || Array.isArray(body))
      return { fields: body as Record<string, unknown>, image: undefined };
    const { [IMAGE_FIELD]: reference, ...fields } = body as Record<string, unknown>;
    if (reference === undefined) return { fields, image: undefined };
    return { fields, image: await images.read({ kind: "string", value: imageUrlOf(reference) }) };
  }
  const fields: Record<string, unknown> = {};
  let image: InputImage | undefined;
  for await (const part of request.parts()) {
    if (part.type === "file") {
      if (part.fieldname !== IMAGE_FIELD) {
        await part.toBuffer();
        throw new ApiError(400, `Unexpected file field '${part.fieldname}': only '${IMAGE_FIELD}' takes a file.`, {
          param: part.fieldname,
        });
      }
      image = await images.read({
        kind: "file",
        stream: part.file,
        filename: part.filename,
        declaredType: part.mimetype,
      });
      if (part.file.truncated)
        throw new ApiError(413, `'${IMAGE_FIELD}' is larger than the upload limit.`, {
          param: IMAGE_FIELD,
          code: "file_too_large",
        });
    } else if (part.fieldname === IMAGE_FIELD || part.fieldname === IMAGE_URL_FIELD) {
      image = await images.read({ kind: "string", value: String(part.value) });
    } else {
      fields[part.fieldname] = part.value;
    }
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
