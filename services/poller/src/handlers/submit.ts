import type { TypedEnvelope } from "@reelgate/contracts";
import type { HandlerContext, HandlerResult } from "@reelgate/messaging";
import { retryAfter as after } from "@reelgate/messaging";
import { type Channel, type Submitted, UpstreamError, upstreamModelOf } from "@reelgate/upstream";
import { planSubmit, requestIsWrong } from "../domain/failover.ts";
import type { JobState } from "../domain/job.ts";
import { eligibleChannels } from "../domain/pick-channel.ts";
import { recoverSubmit } from "../domain/submit-recovery.ts";
import type { JobsDeps } from "./deps.ts";
import { followStream } from "./follow-stream.ts";
import { readInputImage } from "./input-image.ts";
import type { JobRecords } from "./job-records.ts";
import type { LiveStreams } from "./live-streams.ts";

const WAIT_FOR_REQUEST_MS = 250;
/** How soon a job that found every eligible channel full looks again (plus up to as much again, at random). */
const WAIT_FOR_ROOM_MS = 1_000;

type FundsReserved = TypedEnvelope & { type: "FundsReserved" };

/**
 * Billing reserved the price: submit. One FundsReserved message drives all of a job's submit
 * tries: each failed try is recorded, and the message comes back (nak with delay) for the next, so
 * failover goes on where it stopped after a crash. Chat streams are read to their end right here.
 */
export const submitJobs = (deps: JobsDeps, records: JobRecords, streams: LiveStreams) => {
  const seconds = () => Math.floor(deps.now() / 1000);
  const channelById = (id: string) => deps.channels().find((channel) => channel.id === id);

  /** Which channels may take this job: any enabled one mapping the model, or for a remix only the source's. */
  const candidatesFor = async (
    state: JobState,
  ): Promise<{ eligible: Channel[]; remixOf?: string } | { fail: { code: string; message: string } }> => {
    const request = state.request!;
    if (request.remixedFromVideoId) {
      const source = await records.load(request.remixedFromVideoId);
      if (!source.completion)
        return {
          fail: {
            code: "remix_source_unavailable",
            message: `Video '${request.remixedFromVideoId}' has no finished upstream video to remix.`,
          },
        };
      const channel = channelById(source.completion.channelId);
      if (!channel)
        return {
          fail: {
            code: "channel_removed",
            message:
              "The upstream channel that made the source video is no longer configured, so it cannot be remixed.",
          },
        };
      // Disabled or not, the channel that made the video is the only one that can remix it.
      return { eligible: [channel], remixOf: source.completion.upstreamId };
    }
    const eligible = eligibleChannels(deps.channels(), request.model);
    if (eligible.length === 0)
      return { fail: { code: "no_channel", message: `No upstream channel serves model ${request.model}.` } };
    return { eligible };
  };

  const takeRoom = async (channels: Channel[], videoId: string) => {
    for (const channel of channels)
      if (await deps.slots.acquire(channel.id, videoId, channel.max_concurrent)) return channel;
    return undefined;
  };

  const release = (state: JobState) =>
    state.submission ? deps.slots.release(state.submission.channelId, state.submission.videoId) : Promise.resolve();

  return async (event: FundsReserved, ctx: Pick<HandlerContext, "working" | "log">): Promise<HandlerResult> => {
    const videoId = event.data.videoId;
    let state = await records.load(videoId);
    if (!state.request) return after(WAIT_FOR_REQUEST_MS);
    if (state.outcome) return void (await release(state));

    if (state.submission) {
      const channel = channelById(state.submission.channelId);
      if (!channel || deps.providerFor(channel).follow !== "stream") return undefined; // the follow consumer has it
      // This process reads it: a redelivery despite working() (a stalled event loop); the reader acks.
      if (streams.has(videoId)) return undefined;
      // The message came back: whoever read this chat stream died with it. Try again.
      ctx.log.warn({ channel: channel.id }, "a chat stream was lost with its poller; submitting again");
      const decision = await records.execute(
        videoId,
        {
          type: "RecordAttemptFailure",
          channelId: channel.id,
          status: null,
          message: "the poller reading the upstream's stream stopped before the video link",
          retryAfterMs: null,
          maxAttempts: deps.maxSubmitAttempts,
          now: seconds(),
        },
        event,
        `attempt-${state.attempts.length + 1}`,
      );
      await deps.slots.release(channel.id, videoId);
      state = decision.state;
      if (state.outcome) return undefined;
    }

    if (deps.now() - Date.parse(event.occurredAt) > deps.deadlineMs) {
      await records.fail(
        videoId,
        event,
        "timeout",
        `No upstream channel took the job within ${deps.deadlineMs / 1000} s.`,
      );
      return undefined;
    }

    // A try in doubt (its poller died mid-submit) is settled before anything is sent again.
    const recovery = recoverSubmit(state, deps.channels());
    if (recovery.kind === "abandon") {
      ctx.log.warn({ channel: recovery.channelId }, `a submit in doubt cannot be reconciled: ${recovery.message}`);
      state = (await recordLostTry(recovery.channelId, recovery.message, state.attempts.length + 1)).state;
      await deps.slots.release(recovery.channelId, videoId);
      if (state.outcome) return undefined;
    }

    const candidates = await candidatesFor(state);
    if ("fail" in candidates) {
      await records.fail(videoId, event, candidates.fail.code, candidates.fail.message);
      return undefined;
    }
    let channel: Channel;
    if (recovery.kind === "resume") {
      // The same channel, the same key: the upstream answers with the job it made, if it made one.
      ctx.log.warn({ channel: recovery.channel.id }, "resuming a submit in doubt with its idempotency key");
      channel = recovery.channel;
      // Its slot is normally still held by this video (acquire is idempotent for it).
      if (!(await deps.slots.acquire(channel.id, videoId, channel.max_concurrent)))
        return after(WAIT_FOR_ROOM_MS * (1 + deps.random()));
    } else {
      const plan = planSubmit({
        eligible: candidates.eligible,
        attempts: state.attempts,
        now: deps.now(),
        random: deps.random,
        coolDownUntil: deps.coolDowns.until,
      });
      if (plan.kind === "wait") return after(plan.ms);
      const roomy = await takeRoom(plan.channels, videoId);
      if (!roomy) return after(WAIT_FOR_ROOM_MS * (1 + deps.random()));
      channel = roomy;
      // The intent goes on record before the call: a crash from here on leaves a try in doubt, not a second job.
      await records.execute(
        videoId,
        { type: "RecordSubmitIntent", channelId: channel.id, idempotencyKey: videoId, now: seconds() },
        event,
        `intent-${state.attempts.length + 1}`,
      );
    }
    const idempotencyKey = recovery.kind === "resume" ? recovery.idempotencyKey : videoId;

    const attempt = state.attempts.length + 1;
    const provider = deps.providerFor(channel);
    const request = state.request!;
    const reading = provider.follow === "stream" ? streams.open(videoId) : undefined;
    try {
      let submitted: Submitted;
      try {
        submitted = candidates.remixOf
          ? await provider.remix(candidates.remixOf, { prompt: request.prompt, idempotencyKey })
          : await provider.submit(
              {
                model: upstreamModelOf(channel.models, request.model, Boolean(request.inputReference)),
                prompt: request.prompt,
                seconds: request.seconds,
                size: request.size,
                idempotencyKey,
                ...(request.inputReference
                  ? { inputReference: await readInputImage(deps.objects, request.inputReference) }
                  : {}),
              },
              reading ? { signal: reading.signal } : {},
            );
      } catch (error) {
        await deps.slots.release(channel.id, videoId);
        if (!(error instanceof UpstreamError)) throw error;
        return await submitFailed(error, channel, attempt);
      }
      deps.crashPoint?.("submit-accepted");
      const recorded = await records.execute(
        videoId,
        { type: "RecordSubmission", channelId: channel.id, upstreamId: submitted.upstreamId, now: seconds() },
        event,
        `submit-${attempt}`,
      );
      if (recorded.state.submission?.upstreamId !== submitted.upstreamId) {
        // Cancelled while we submitted: stop what we just started.
        await provider.cancel(submitted.upstreamId).catch(() => undefined);
        await deps.slots.release(channel.id, videoId);
        return undefined;
      }
      if (submitted.updates) {
        await followStream({
          records,
          videoId,
          updates: submitted.updates,
          cause: event,
          ctx,
          attempt,
          now: deps.now,
        });
        await deps.slots.release(channel.id, videoId);
      }
      return undefined;
    } finally {
      if (reading) streams.close(videoId, reading);
    }

    /** A try that will never get its answer, recorded as failed so the next one can go. */
    function recordLostTry(channelId: string, message: string, tried: number) {
      return records.execute(
        videoId,
        {
          type: "RecordAttemptFailure",
          channelId,
          status: null,
          message,
          retryAfterMs: null,
          maxAttempts: deps.maxSubmitAttempts,
          now: seconds(),
        },
        event,
        `attempt-${tried}`,
      );
    }

    async function submitFailed(error: UpstreamError, failed: Channel, tried: number): Promise<HandlerResult> {
      if (requestIsWrong(error.status)) {
        // The request itself is wrong: another channel would say the same. The client gets the upstream's words.
        await records.fail(
          videoId,
          event,
          error.upstreamCode ?? "upstream_rejected",
          error.upstreamMessage ?? error.message,
        );
        return undefined;
      }
      if (error.retryAfterMs !== undefined) await deps.coolDowns.hold(failed.id, deps.now() + error.retryAfterMs);
      ctx.log.warn(
        { channel: failed.id, attempt: tried, err: error.message },
        "submit failed; trying the next channel",
      );
      await records.execute(
        videoId,
        {
          type: "RecordAttemptFailure",
          channelId: failed.id,
          status: error.status ?? null,
          message: error.upstreamMessage ?? error.message,
          retryAfterMs: error.retryAfterMs === undefined ? null : Math.round(error.retryAfterMs),
          maxAttempts: deps.maxSubmitAttempts,
          now: seconds(),
        },
        event,
        `attempt-${tried}`,
      );
      // Delivered again at once: the next plan picks the next channel, or says how long to wait.
      return after(0);
    }
  };
};
