import {
  createdVideoSchema,
  deletedVideoSchema,
  listVideosQuerySchema,
  remixVideoRequestSchema,
  videoIdParamsSchema,
  videoListSchema,
  videoSchema,
} from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { InputImageReader } from "../../adapters/input-image/index.ts";
import type { VideoService } from "../../application/videos.ts";
import { createBodySchema } from "../create-body.ts";
import { IMAGE_FIELD, imageFingerprint, imageForm, pendingImage, plainForm } from "../form.ts";
import type { Idempotency } from "../idempotency.ts";
import { withPollAfter } from "../poll-after.ts";
import { routeSchema } from "../route-spec.ts";
import { withTaskFields } from "../task-fields.ts";

export interface VideoRouteDeps {
  videos: VideoService;
  images: InputImageReader;
  idempotency: Idempotency;
  now: () => Date;
}

/** OpenAI's Videos API, the routes that take a body as JSON or multipart: create and remix. */
export const videoFormRoutes = (fastify: FastifyInstance, { videos, images, idempotency, now }: VideoRouteDeps) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const createDoc = routeSchema({
    summary:
      "Create a video (JSON or multipart/form-data; input_reference as a file, URL, data URL, base64 or {image_url})",
    tags: ["Videos"],
    body: createBodySchema,
    consumes: ["application/json", "multipart/form-data"],
    response: { 200: createdVideoSchema },
    security: "apiKey",
  });
  for (const [url, summary] of [
    ["/v1/videos", createDoc.summary],
    ["/v1/videos/generations", "Create a video (legacy alias of POST /v1/videos)"],
  ] as const) {
    app.post(url, { schema: { ...createDoc, summary }, preValidation: imageForm(images) }, async (request, reply) => {
      const body = request.body;
      const image = pendingImage(request, body.kind === "create" ? body.imageUrl : undefined);
      // The fields as sent, the image apart (as its bytes or string).
      const { [IMAGE_FIELD]: _image, ...fields } = request.form?.sent ?? {};
      const created = await idempotency.once(request, { fields, image: imageFingerprint(image) }, async (videoId) =>
        withTaskFields(
          body.kind === "create"
            ? await videos.create(request.accountId, body.create, image, videoId)
            : await videos.remix(request.accountId, body.remix.video_id, body.remix.prompt, videoId),
        ),
      );
      return withPollAfter(reply, created, now);
    });
  }

  app.post(
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
      preValidation: plainForm,
    },
    async (request, reply) => {
      const remixed = await idempotency.once(
        request,
        { remix: request.params.id, body: request.form?.sent },
        async (videoId) =>
          withTaskFields(await videos.remix(request.accountId, request.params.id, request.body.prompt, videoId)),
      );
      return withPollAfter(reply, remixed, now);
    },
  );
};

/** OpenAI's Videos API, the rest: retrieve, list, delete (no body is a form). */
export const videoRoutes = (fastify: FastifyInstance, { videos, now }: Pick<VideoRouteDeps, "videos" | "now">) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
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
    async (request) => videos.list(request.accountId, request.query),
  );

  app.delete(
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
