import type { FastifyRequest } from "fastify";
import { ApiError } from "./api-error.ts";

/**
 * A create body as a plain object, whether it came as JSON or multipart/form-data (the OpenAI SDKs
 * send multipart). Text fields become strings; file parts are not accepted here yet.
 */
export const bodyFields = async (request: FastifyRequest): Promise<unknown> => {
  if (!request.isMultipart()) return request.body;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === "file") {
      // Drain it so the request completes; the field itself is refused.
      await part.toBuffer();
      throw new ApiError(400, `File uploads are not supported for '${part.fieldname}'.`, {
        param: part.fieldname,
        code: "unsupported_file",
      });
    }
    fields[part.fieldname] = String(part.value);
  }
  return fields;
};
