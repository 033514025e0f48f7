import type { Video } from "@reelgate/contracts";
import type { FastifyReply } from "fastify";
import { pollAfterMs } from "../domain/poll-after.ts";

export const POLL_AFTER_HEADER = "openai-poll-after-ms";

/** Names `openai-poll-after-ms` on the answer while the video is unfinished; returns the video, for chaining. */
export const withPollAfter = <T extends Pick<Video, "status" | "progress" | "created_at">>(
  reply: FastifyReply,
  video: T,
  now: () => Date,
): T => {
  const ms = pollAfterMs(video, now().getTime());
  if (ms !== undefined) reply.header(POLL_AFTER_HEADER, String(ms));
  return video;
};
