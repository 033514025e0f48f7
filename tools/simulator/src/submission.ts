import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { RecordedFile } from "./request-log.ts";

/** A job request's fields, from multipart/form-data or JSON; file parts are hashed, not kept. */
export interface Submission {
  fieldNames: string[];
  fields: Record<string, unknown>;
  files: RecordedFile[];
  /** The bytes of the file parts asked for by name (`keep`), where the route reads them (a video to edit). */
  kept: Record<string, Buffer>;
}

const hashFile = async (
  field: string,
  filename: string,
  contentType: string,
  stream: AsyncIterable<Buffer>,
  keep?: Buffer[],
) => {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    keep?.push(chunk);
    size += chunk.length;
  }
  return { field, filename, contentType, size, sha256: hash.digest("hex") };
};

export const readSubmission = async (
  request: FastifyRequest,
  { keep = [] }: { keep?: readonly string[] } = {},
): Promise<Submission> => {
  if (!request.isMultipart()) {
    const body = request.body;
    const fields = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    return { fieldNames: Object.keys(fields), fields, files: [], kept: {} };
  }
  const submission: Submission = { fieldNames: [], fields: {}, files: [], kept: {} };
  for await (const part of request.parts()) {
    if (part.type === "file") {
      const chunks = keep.includes(part.fieldname) ? [] : undefined;
      submission.files.push(await hashFile(part.fieldname, part.filename, part.mimetype, part.file, chunks));
      if (chunks) submission.kept[part.fieldname] = Buffer.concat(chunks);
    } else {
      submission.fieldNames.push(part.fieldname);
      submission.fields[part.fieldname] = part.value;
    }
  }
  return submission;
};
