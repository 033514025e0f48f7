import { createVideoRequestSchema, type Video, variants } from "@reelgate/contracts";
import type { ObjectStorage } from "@reelgate/object-storage";
import type { FastifyInstance } from "fastify";
import type { VideoService } from "../../application/videos.ts";
import type { Views } from "../../views/views.ts";
import { ApiError } from "../api-error.ts";
import { authenticate } from "../auth.ts";
import { bodyFields } from "../form.ts";
import { parseRequest } from "../parse.ts";
import { parseRange } from "../range.ts";

/** Create and remix answers also carry the relay's "general video response" fields; OpenAI SDKs ignore them. */
const withTaskFields = (video: Video) => ({ ...video, task_id: video.id, task_status: "succeed", message: "" });

declare module "fastify" {
  interface FastifyRequest {
    /** The caller's account, set by the API-key check before the body is read. */
    accountId: string;
    /** The video a create made, for the access log. */
    videoId: string | undefined;
  }
}

export const videoRoutes = (
  app: FastifyInstance,
  { videos, views, objects }: { videos: VideoService; views: Views; objects: ObjectStorage },
) =>
  app.register(async (api) => {
    api.decorateRequest("accountId", "");
    api.decorateRequest("videoId", undefined);
    // Before the body is parsed: an unauthenticated caller learns nothing about its payload.
    api.addHook("onRequest", async (request) => {
      request.accountId = await authenticate(request, views);
    });
    routes(api, videos, objects);
  });

const routes = (app: FastifyInstance, videos: VideoService, objects: ObjectStorage) => {
  app.post("/v1/videos", async (request) =>
    withTaskFields(
      await videos.create(request.accountId, parseRequest(createVideoRequestSchema, await bodyFields(request))),
    ),
  );

  app.get<{ Params: { id: string } }>("/v1/videos/:id", async (request) =>
    videos.retrieve(request.accountId, request.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { variant?: string } }>(
    "/v1/videos/:id/content",
    async (request, reply) => {
      const accountId = request.accountId;
      const variant = request.query.variant ?? "video";
      if (!(variants as readonly string[]).includes(variant)) {
        throw new ApiError(400, `Invalid 'variant': use one of ${variants.join(", ")}.`, {
          param: "variant",
          code: "invalid_value",
        });
      }
      const view = await videos.ownView(accountId, request.params.id);
      const stored = view.assets[variant as (typeof variants)[number]]?.stored;
      if (!stored) {
        throw new ApiError(404, `The ${variant} of video '${view.id}' is not ready.`, {
          param: "variant",
          code: "content_not_ready",
        });
      }
      const range = parseRange(request.headers.range, stored.bytes);
      const object = await objects.get(stored.key, range ?? undefined);
      if (!object)
        throw new ApiError(404, `The ${variant} of video '${view.id}' is no longer stored.`, { code: "content_gone" });
      reply
        .header("content-type", stored.contentType)
        .header("accept-ranges", "bytes")
        .header("content-length", object.bytes);
      if (range) reply.code(206).header("content-range", `bytes ${range.start}-${range.end}/${stored.bytes}`);
      return reply.send(object.body);
    },
  );
};
