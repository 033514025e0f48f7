import type { TypedEnvelope } from "@reelgate/contracts";
import type { HandlerContext, HandlerResult } from "@reelgate/messaging";
import { retryAfter as after } from "@reelgate/messaging";
import type { JobsDeps } from "./deps.ts";
import type { JobRecords } from "./job-records.ts";
import type { LiveStreams } from "./live-streams.ts";

const WAIT_FOR_REQUEST_MS = 250;

/**
 * Its owner deleted the video: a job not yet ended is failed (`cancelled`), so billing releases
 * its reservation; the upstream job is stopped where the provider can, and its slot given back.
 */
export const cancelJobs =
  (deps: JobsDeps, records: JobRecords, streams: LiveStreams) =>
  async (event: TypedEnvelope & { type: "VideoDeleted" }, ctx: Pick<HandlerContext, "log">): Promise<HandlerResult> => {
    const videoId = event.data.videoId;
    const before = await records.load(videoId);
    if (!before.request) return after(WAIT_FOR_REQUEST_MS);
    const { state } = await records.execute(
      videoId,
      {
        type: "FailJob",
        code: "cancelled",
        message: "The video was deleted before it was finished.",
        now: Math.floor(deps.now() / 1000),
      },
      event,
      "fail",
    );
    const submission = state.submission;
    if (state.failure?.code !== "cancelled" || !submission) return undefined;
    streams.abort(videoId);
    const channel = deps.channels().find((candidate) => candidate.id === submission.channelId);
    if (channel)
      await deps
        .providerFor(channel)
        .cancel(submission.upstreamId)
        .catch((error: unknown) => ctx.log.warn({ err: error, channel: channel.id }, "upstream cancel failed"));
    await deps.slots.release(submission.channelId, videoId);
    return undefined;
  };
