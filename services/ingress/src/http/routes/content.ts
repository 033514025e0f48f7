import { contentQuerySchema, videoIdParamsSchema } from "@reelgate/contracts";
import type { ObjectStorage } from "@reelgate/object-storage";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { UpstreamContent } from "../../adapters/upstream-content.ts";
import type { VideoService } from "../../application/videos.ts";
import { ApiError } from "../api-error.ts";
import { routeSchema } from "../route-spec.ts";
import { mediaResponses, sendStoredObject } from "../send-object.ts";
import { sendUpstreamFallback } from "../upstream-fallback.ts";

/** `GET /v1/videos/{id}/content`: the stored bytes, streamed, with `Range`. */
export const contentRoute = (
  app: FastifyInstance,
  {
    videos,
    objects,
    upstreamContent,
    now = () => new Date(),
  }: {
    videos: VideoService;
    objects: ObjectStorage;
    /** Serves a variant that could not be copied through its channel, until the upstream link expires. */
    upstreamContent?: UpstreamContent | undefined;
    now?: () => Date;
  },
) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/v1/videos/:id/content",
    {
      schema: routeSchema({
        summary: "Download a video's content (video, thumbnail or spritesheet); supports Range",
        tags: ["Videos"],
        params: videoIdParamsSchema,
        querystring: contentQuerySchema,
        response: mediaResponses,
        security: "apiKey",
      }),
    },
    async (request, reply) => {
      const { variant } = request.query;
      const view = await videos.ownView(request.accountId, request.params.id);
      if (view.mediaDeleted) {
        throw new ApiError(404, `The media of video '${view.id}' was deleted (${view.mediaDeleted.reason}).`, {
          code: "content_deleted",
        });
      }
      const stored = view.assets[variant]?.stored;
      const fallback = view.assets[variant]?.fallback;
      if (!stored && fallback && upstreamContent) {
        return sendUpstreamFallback(reply, { videoId: view.id, variant, fallback, content: upstreamContent, now });
      }
      if (!stored) {
        throw new ApiError(404, `The ${variant} of video '${view.id}' is not ready.`, {
          param: "variant",
          code: "content_not_ready",
        });
      }
      return sendStoredObject(
        reply,
        objects,
        stored,
        request.headers.range,
        () => new ApiError(404, `The ${variant} of video '${view.id}' is no longer stored.`, { code: "content_gone" }),
      );
    },
  );
};
