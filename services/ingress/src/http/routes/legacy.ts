import {
  type LegacyVideoResult,
  legacyQueryRequestSchema,
  legacyResultRequestSchema,
  legacyVideoResultSchema,
  videoIdParamsSchema,
} from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { VideoService } from "../../application/videos.ts";
import { statusOf } from "../../views/video-object.ts";
import type { VideoView } from "../../views/video-view.ts";
import { type RouteDoc, routeSchema } from "../route-spec.ts";

/** A URL a browser can play without an API key (signed), or null while there is none. */
export type PlayableUrl = (view: VideoView) => Promise<string | null>;

const taskStatus = { queued: "processing", in_progress: "processing", completed: "succeed", failed: "failed" } as const;

/** The relay's "general final video response" for a video. */
export const legacyResult = async (view: VideoView, playableUrl: PlayableUrl): Promise<LegacyVideoResult> => {
  const { status, error } = statusOf(view);
  const url = status === "completed" ? await playableUrl(view) : null;
  return {
    task_id: view.id,
    video_id: view.id,
    task_status: taskStatus[status],
    message: error?.message ?? "",
    duration: view.task.seconds,
    video_result: url,
    video_results: url ? [{ url }] : [],
  };
};

/** The legacy relay's query endpoints, for its existing clients. */
export const legacyRoutes = (
  fastify: FastifyInstance,
  { videos, playableUrl }: { videos: VideoService; playableUrl: PlayableUrl },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const answer = async (accountId: string, videoId: string) =>
    legacyResult(await videos.view(accountId, videoId), playableUrl);
  const doc = <const E extends Pick<RouteDoc, "body" | "params">>(summary: string, extra: E) =>
    routeSchema({
      summary,
      tags: ["Legacy task API"],
      response: { 200: legacyVideoResultSchema },
      security: "apiKey",
      ...extra,
    });

  app.post(
    "/v1/video/generations/result",
    { schema: doc("A video's final result by task_id", { body: legacyResultRequestSchema }) },
    async (request) => answer(request.accountId, request.body.task_id),
  );
  app.post(
    "/v1/videos/query",
    { schema: doc("A video's final result by video_id", { body: legacyQueryRequestSchema }) },
    async (request) => answer(request.accountId, request.body.video_id),
  );
  app.get(
    "/v1/videos/query/:id",
    { schema: doc("A video's final result by id", { params: videoIdParamsSchema }) },
    async (request) => answer(request.accountId, request.params.id),
  );
};
