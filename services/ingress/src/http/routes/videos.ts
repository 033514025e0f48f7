import {
  createdVideoSchema,
  createVideoRequestSchema,
  deletedVideoSchema,
  legacyRemixRequestSchema,
  listVideosQuerySchema,
  remixVideoRequestSchema,
  type Video,
  videoIdParamsSchema,
  videoListSchema,
  videoSchema,
} from "@reelgate/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { InputImageReader } from "../../adapters/input-image/index.ts";
import type { VideoService } from "../../application/videos.ts";
import { imageFingerprint, readCreateBody, readFormFields } from "../form.ts";
import type { Idempotency } from "../idempotency.ts";
import { parseRequest } from "../parse.ts";
import { withPollAfter } from "../poll-after.ts";
import { routeSchema } from "../route-spec.ts";

/** Create and remix answers also carry the relay's "general video response" fields; OpenAI SDKs ignore them. */
const withTaskFields = (video: Video) => ({ ...video, task_id: video.id, task_status: "succeed", message: "" });

export interface VideoRouteDeps {
  videos: VideoService;
  images: InputImageReader;
  idempotency: Idempotency;
  now: () => Date;
}

/** OpenAI's Videos API: create (JSON or multipart), remix, retrieve, list, delete. */
export const videoRoutes = (app: FastifyInstance, { videos, images, idempotency, now }: VideoRouteDeps) => {
  const create = async (request: FastifyRequest, reply: FastifyReply) => {
    const { fields, image } = await readCreateBody(request, images);
    const created = await idempotency.once(request, { fields, image: imageFingerprint(image) }, async (videoId) => {
      // The legacy relay's remix form: a `-remix` model naming the source video.
      if (typeof fields?.model === "string" && fields.model.endsWith("-remix")) {
        const remix = parseRequest(legacyRemixRequestSchema, fields);
        return withTaskFields(await videos.remix(request.accountId, remix.video_id, remix.prompt, videoId));
      }
      return withTaskFields(
        await videos.create(request.accountId, parseRequest(createVideoRequestSchema, fields), image, videoId),
      );
    });
    return withPollAfter(reply, created, now);
  };
  const createDoc = routeSchema({
    summary:
      "Create a video (JSON or multipart/form-data; input_reference as a file, URL, data URL, base64 or {image_url})",
    tags: ["Videos"],
    body: createVideoRequestSchema,
    consumes: ["application/json", "multipart/form-data"],
    response: { 200: createdVideoSchema },
    security: "apiKey",
  });
  app.post("/v1/videos", { schema: createDoc }, create);
  app.post(
    "/v1/videos/generations",
    { schema: { ...createDoc, summary: "Create a video (legacy alias of POST /v1/videos)" } },
    create,
  );

  app.post<{ Params: { id: string } }>(
    "/v1/videos/:id/remix",
    {
      schema: routeSchema({
        summary:
          "Remix a completed video with a new prompt (JSON or multipart/form-data); the job goes to the channel that made the source",
        tags: ["Videos"],
        params: videoIdParamsSchema,
        body: remixVideoRequestSchema,
        consumes: ["application/json", "multipart/form-data"],
        response: { 200: createdVideoSchema },
        security: "apiKey",
      }),
    },
    async (request, reply) => {
      const fields = await readFormFields(request);
      const remixed = await idempotency.once(request, { remix: request.params.id, body: fields }, async (videoId) => {
        const { prompt } = parseRequest(remixVideoRequestSchema, fields);
        return withTaskFields(await videos.remix(request.accountId, request.params.id, prompt, videoId));
      });
      return withPollAfter(reply, remixed, now);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/videos/:id",
    {
      schema: routeSchema({
        summary: "Retrieve a video",
        tags: ["Videos"],
        params: videoIdParamsSchema,
        response: { 200: videoSchema },
        security: "apiKey",
      }),
    },
    async (request, reply) => withPollAfter(reply, await videos.retrieve(request.accountId, request.params.id), now),
  );

  app.get(
    "/v1/videos",
    {
      schema: routeSchema({
        summary: "List your videos, newest first by default, with cursor pagination",
        tags: ["Videos"],
        querystring: listVideosQuerySchema,
        response: { 200: videoListSchema },
        security: "apiKey",
      }),
    },
    async (request) => videos.list(request.accountId, parseRequest(listVideosQuerySchema, request.query)),
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/videos/:id",
    {
      schema: routeSchema({
        summary: "Delete a video and its stored media",
        tags: ["Videos"],
        params: videoIdParamsSchema,
        response: { 200: deletedVideoSchema },
        security: "apiKey",
      }),
    },
    async (request) => videos.delete(request.accountId, request.params.id),
  );
};
