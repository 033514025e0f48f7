import type { TypedEnvelope } from "@reelgate/contracts";
import type { HandlerContext, HandlerResult } from "@reelgate/messaging";
import { retryAfter as after } from "@reelgate/messaging";
import { UpstreamError } from "@reelgate/upstream";
import { gaveUpOnTime } from "../domain/job.ts";
import { nextPollDelayMs } from "../domain/poll-schedule.ts";
import type { JobsDeps } from "./deps.ts";
import type { JobRecords } from "./job-records.ts";

/** How often a job we gave up on is still asked about, for a late completion. */
const LATE_POLL_MS = 60_000;
/** How often a chat job's watchdog looks at it (its stream is read by the submit handler). */
const STREAM_WATCH_MS = 30_000;
/** How often a job whose channel left the file looks whether it came back. */
const MISSING_CHANNEL_MS = 30_000;
/** Upstream answers that say the job is not there (any more): no use asking again. */
const GONE = new Set([400, 404, 410]);

type JobSubmitted = TypedEnvelope & { type: "JobSubmitted" };

/**
 * Follows a submitted job: the JobSubmitted message is the poll, re-delivered (nak with delay) until
 * the job ends: fast at first, slower later, never sooner than the channel's Retry-After. Past the
 * deadline the job is failed and released, and then still asked about now and then for a while, so
 * a late completion is recorded rather than lost.
 */
export const followJobs = (deps: JobsDeps, records: JobRecords) => {
  const seconds = () => Math.floor(deps.now() / 1000);

  const follow = async (event: JobSubmitted, ctx: Pick<HandlerContext, "log">): Promise<HandlerResult> => {
    const videoId = event.data.videoId;
    const state = await records.load(videoId);
    const submission = state.submission;
    // A later try replaced this one (a lost chat stream was submitted again): its own message follows it.
    if (!submission || submission.upstreamId !== event.data.upstreamId) return undefined;
    const release = () => deps.slots.release(submission.channelId, videoId);
    const late = gaveUpOnTime(state);
    if (state.outcome && !late) return void (await release());
    if (late && deps.now() > (state.failure?.failedAt ?? 0) * 1000 + deps.lateWindowMs) return undefined;

    const ageMs = deps.now() - submission.submittedAt * 1000;
    if (!state.outcome && ageMs > deps.deadlineMs) {
      await records.fail(
        videoId,
        event,
        "timeout",
        `No result from the upstream within ${Math.round(deps.deadlineMs / 1000)} s.`,
      );
      await release();
      return after(LATE_POLL_MS);
    }
    const channel = deps.channels().find((candidate) => candidate.id === submission.channelId);
    if (!channel) {
      ctx.log.warn({ channel: submission.channelId }, "the channel of a job in flight is not in the channels file");
      return after(MISSING_CHANNEL_MS);
    }
    const provider = deps.providerFor(channel);
    // Chat jobs report on their own stream; this only keeps the deadline.
    if (provider.follow === "stream")
      return late ? undefined : after(Math.max(50, Math.min(STREAM_WATCH_MS, deps.deadlineMs - ageMs + 50)));

    const coolDown = deps.coolDowns.until(channel.id) - deps.now();
    // The channel asked for a pause: wait it out, spread so the polls that waited do not all land at its end.
    if (coolDown > 0) return after(coolDown + deps.random() * Math.min(coolDown, 5_000));

    try {
      const report = await provider.status(submission.upstreamId);
      const terminal = report.status === "completed" || report.status === "failed";
      const purpose = late ? "late" : terminal ? "end" : `progress-${state.attempts.length + 1}-${report.progress}`;
      const decision = await records.execute(videoId, { type: "RecordReport", report, now: seconds() }, event, purpose);
      if (late) return terminal ? undefined : after(LATE_POLL_MS);
      if (decision.state.outcome) return void (await release());
      return after(nextPollDelayMs(ageMs, undefined, deps.random(), provider.pollIntervalMs));
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      if (error.retryAfterMs !== undefined) await deps.coolDowns.hold(channel.id, deps.now() + error.retryAfterMs);
      if (error.status !== undefined && GONE.has(error.status)) {
        if (!late) {
          // Reelgate's words: the upstream's 404 would name its own id for the video.
          await records.fail(videoId, event, "upstream_error", "The upstream no longer knows this video.");
          await release();
        }
        return undefined;
      }
      if (late) return after(LATE_POLL_MS);
      return after(nextPollDelayMs(ageMs, error.retryAfterMs, deps.random(), provider.pollIntervalMs));
    }
  };

  /**
   * The claim is taken only by a chain that goes on (its message comes back): a job that ends at its first poll (or
   * had ended) costs no KV write and no delete. A copy that is not known here as one polls once before it learns it
   * is a copy, and stops; both chains' records are idempotent (commit ids per step), so that poll changes nothing
   * the original's would not. A redelivery this process does not know (it restarted, or another replica had the
   * message) asks KV first, as it may be a copy's or hold the claim from before.
   */
  return async (
    event: JobSubmitted,
    ctx: Pick<HandlerContext, "log" | "streamSequence"> & Partial<Pick<HandlerContext, "deliveryCount">>,
  ): Promise<HandlerResult> => {
    const { videoId, upstreamId } = event.data;
    const { streamSequence } = ctx;
    const owner = deps.follows.knownOwner(videoId, upstreamId);
    // A second copy of this event: the first copy's chain follows the job.
    if (owner !== undefined && owner !== streamSequence) return undefined;
    const redelivered = (ctx.deliveryCount ?? 1) > 1;
    if (owner === undefined && redelivered && !(await deps.follows.claim(videoId, upstreamId, streamSequence)))
      return undefined;
    const result = await follow(event, ctx);
    if (result === undefined) {
      if (deps.follows.knownOwner(videoId, upstreamId) === streamSequence)
        await deps.follows.release(videoId, upstreamId);
      return undefined;
    }
    return (await deps.follows.claim(videoId, upstreamId, streamSequence)) ? result : undefined;
  };
};
