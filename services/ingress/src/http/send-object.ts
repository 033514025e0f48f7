import type { ObjectStorage } from "@reelgate/object-storage";
import type { FastifyReply } from "fastify";
import type { ApiError } from "./api-error.ts";
import { parseRange } from "./range.ts";

/** How routes that stream media document their answers. */
export const mediaResponses = {
  200: { description: "The media bytes", contentTypes: ["video/mp4", "image/png", "image/jpeg", "image/webp"] },
  206: {
    description: "A byte range of the media",
    contentTypes: ["video/mp4", "image/png", "image/jpeg", "image/webp"],
  },
};

/** Streams a stored object, or the one byte range the client asked for (never buffered whole). */
export const sendStoredObject = async (
  reply: FastifyReply,
  objects: ObjectStorage,
  { key, bytes, contentType }: { key: string; bytes: number; contentType: string },
  rangeHeader: string | undefined,
  gone: () => ApiError,
) => {
  const range = parseRange(rangeHeader, bytes);
  const object = await objects.get(key, range ?? undefined);
  if (!object) throw gone();
  reply.header("content-type", contentType).header("accept-ranges", "bytes").header("content-length", object.bytes);
  if (range) reply.code(206).header("content-range", `bytes ${range.start}-${range.end}/${bytes}`);
  return reply.send(object.body);
};
