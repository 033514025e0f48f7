import { createHash } from "node:crypto";
import { createdVideoSchema } from "@reelgate/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { CharacterService } from "../../application/characters.ts";
import type { VideoOperationRequest, VideoService } from "../../application/videos.ts";
import { ApiError } from "../api-error.ts";
import { fileForm, type ReceivedFile } from "../form.ts";
import type { Idempotency } from "../idempotency.ts";
import { withPollAfter } from "../poll-after.ts";
import { routeSchema } from "../route-spec.ts";
import { withTaskFields } from "../task-fields.ts";

const prompt = z.string().trim().min(1, "prompt is required").max(32_000);
const videoReference = z.strictObject({ id: z.string().min(1).max(100) });

/** OpenAI's CreateVideoEdit*Body: `video` as `{id}` (multipart: `video[id]`) or an uploaded file part. */
export const videoEditRequestSchema = z.strictObject({
  prompt,
  video: videoReference.optional(),
  /** For an uploaded file only: the model that edits it (default sora-2). */
  model: z.string().min(1).optional(),
});

/** OpenAI's CreateVideoExtend*Body: the edit's fields and the extension's `seconds`. */
export const videoExtendRequestSchema = videoEditRequestSchema.extend({
  seconds: z.string().min(1),
});

/** OpenAI's CreateVideoCharacterBody: multipart `name` and a `video` file. */
export const videoCharacterRequestSchema = z.strictObject({ name: z.string().trim().min(1).max(80) });

export const videoCharacterSchema = z.object({ id: z.string(), name: z.string(), created_at: z.number().int() });

const characterIdParams = z.object({ id: z.string().describe("The character's id (char_…)") });

/** Multipart sends the reference as `video[id]`; JSON as `video: {id}`: one shape for the schema. */
const normalized = (fields: unknown) => {
  if (!fields || typeof fields !== "object" || !("video[id]" in fields)) return fields;
  const { "video[id]": id, ...rest } = fields as Record<string, unknown>;
  return { ...rest, video: { id } };
};
/** The bodies the routes validate: either form of the reference, one schema each. */
const editBody = z.preprocess(normalized, videoEditRequestSchema);
const extendBody = z.preprocess(normalized, videoExtendRequestSchema);

const missingVideo = () =>
  new ApiError(400, "Missing required parameter: 'video' (give {\"id\": …} or upload a video file).", {
    param: "video",
    code: "missing_required_parameter",
  });

const sourceOf = (
  reference: { id: string } | undefined,
  file: ReceivedFile | undefined,
): VideoOperationRequest["source"] => {
  if (reference && file)
    throw new ApiError(400, "Give 'video' once: as an id or as a file, not both.", {
      param: "video",
      code: "duplicate_parameter",
    });
  if (file) return { kind: "upload", file: { bytes: file.bytes, contentType: file.contentType } };
  if (reference) return { kind: "video", id: reference.id };
  throw missingVideo();
};

const fileFingerprint = (file: ReceivedFile | undefined) =>
  file ? createHash("sha256").update(file.bytes).digest("hex") : null;

export interface VideoOperationRouteDeps {
  videos: VideoService;
  characters: CharacterService;
  idempotency: Idempotency;
  now: () => Date;
}

/** Edits, extensions and characters (SPEC §1.1): fixed paths, registered beside `/v1/videos/:id`. */
export const videoOperationRoutes = (
  fastify: FastifyInstance,
  { videos, characters, idempotency, now }: VideoOperationRouteDeps,
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const videoFile = fileForm("video");

  /** An edit or an extension: the same steps, the body its route's schema parsed. */
  const operate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    kind: "edit" | "extend",
    body: z.infer<typeof videoExtendRequestSchema> | z.infer<typeof videoEditRequestSchema>,
  ) => {
    const file = request.form?.file;
    const sent = { [kind]: normalized(request.form?.sent), file: fileFingerprint(file) };
    const created = await idempotency.once(request, sent, async (videoId) => {
      const input: VideoOperationRequest = {
        prompt: body.prompt,
        model: body.model,
        seconds: "seconds" in body ? body.seconds : undefined,
        source: sourceOf(body.video, file),
      };
      const video =
        kind === "edit"
          ? await videos.edit(request.accountId, input, videoId)
          : await videos.extend(request.accountId, input, videoId);
      return withTaskFields(video);
    });
    return withPollAfter(reply, created, now);
  };

  app.post(
    "/v1/videos/edits",
    {
      schema: routeSchema({
        summary:
          "Edit a completed video (or an uploaded video file) as the prompt says; the job goes to the channel that made the source",
        tags: ["Videos"],
        body: editBody,
        consumes: ["application/json", "multipart/form-data"],
        response: { 200: createdVideoSchema },
        security: "apiKey",
      }),
      preValidation: videoFile,
    },
    (request, reply) => operate(request, reply, "edit", request.body),
  );

  app.post(
    "/v1/videos/extensions",
    {
      schema: routeSchema({
        summary:
          "Extend a completed video (or an uploaded video file) by `seconds`; priced on the extension, the result's seconds the stitched total",
        tags: ["Videos"],
        body: extendBody,
        consumes: ["application/json", "multipart/form-data"],
        response: { 200: createdVideoSchema },
        security: "apiKey",
      }),
      preValidation: videoFile,
    },
    (request, reply) => operate(request, reply, "extend", request.body),
  );

  app.post(
    "/v1/videos/characters",
    {
      schema: routeSchema({
        summary:
          "Create a character from an uploaded video (multipart `name` and `video` file), made on a channel that can",
        tags: ["Videos"],
        body: videoCharacterRequestSchema,
        consumes: ["multipart/form-data"],
        response: { 200: videoCharacterSchema },
        security: "apiKey",
      }),
      preValidation: videoFile,
    },
    async (request) => {
      const file = request.form?.file;
      if (!file)
        throw new ApiError(400, "Missing required parameter: 'video' (upload the video file as multipart).", {
          param: "video",
          code: "missing_required_parameter",
        });
      return characters.create(request.accountId, request.body.name, {
        body: file.bytes,
        contentType: file.contentType,
        filename: file.filename,
      });
    },
  );

  app.get(
    "/v1/videos/characters/:id",
    {
      schema: routeSchema({
        summary: "Retrieve a character of yours",
        tags: ["Videos"],
        params: characterIdParams,
        response: { 200: videoCharacterSchema },
        security: "apiKey",
      }),
    },
    async (request) => characters.retrieve(request.accountId, request.params.id),
  );
};
