import type { Variant } from "@reelgate/contracts";
import { UpstreamError } from "@reelgate/upstream";
import type { FastifyReply } from "fastify";
import type { UpstreamContent } from "../adapters/upstream-content.ts";
import type { UpstreamFallback } from "../views/video-view.ts";
import { ApiError } from "./api-error.ts";

/**
 * Serves a variant storage could not copy by proxying it through its channel, until the upstream
 * link expires (the upstream's URL and key never reach the client). No `Range`: the whole media, 200.
 */
export const sendUpstreamFallback = async (
  reply: FastifyReply,
  {
    videoId,
    variant,
    fallback,
    content,
    now,
  }: {
    videoId: string;
    variant: Variant;
    fallback: UpstreamFallback;
    content: UpstreamContent;
    now: () => Date;
  },
) => {
  if (fallback.expiresAt !== null && fallback.expiresAt * 1000 <= now().getTime()) {
    throw new ApiError(404, `The ${variant} of video '${videoId}' could not be stored and has expired upstream.`, {
      code: "content_expired",
    });
  }
  let media: Awaited<ReturnType<UpstreamContent>>;
  try {
    media = await content(fallback, variant);
  } catch (error) {
    const reason = error instanceof UpstreamError && error.status === 404 ? 404 : 502;
    throw new ApiError(reason, `The ${variant} of video '${videoId}' could not be fetched from the upstream.`, {
      code: reason === 404 ? "content_expired" : "upstream_unavailable",
    });
  }
  if (!media) {
    throw new ApiError(404, `The ${variant} of video '${videoId}' is no longer available.`, {
      code: "content_gone",
    });
  }
  reply.header("content-type", media.contentType).header("cache-control", "no-store");
  if (media.bytes !== undefined) reply.header("content-length", media.bytes);
  return reply.send(media.body);
};
