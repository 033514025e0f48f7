import type { TypedEnvelope } from "@reelgate/contracts";
import type { HandlerContext, HandlerResult } from "@reelgate/messaging";
import { retryAfter as after, defaultRetryDelayMs } from "@reelgate/messaging";
import { type Submitted, UpstreamError } from "@reelgate/upstream";
import type { JobState } from "../domain/job.ts";
import { recoverSubmit } from "../domain/submit-recovery.ts";
import { sourceVideoIdOf, submitTarget } from "../domain/submit-target.ts";
import type { JobsDeps } from "./deps.ts";
import { followStream } from "./follow-stream.ts";
import type { JobRecords } from "./job-records.ts";
import type { LiveStreams } from "./live-streams.ts";
import type { RequestArrivals } from "./request-arrivals.ts";
import { chooseChannel } from "./submit-channel.ts";
import { submitFailures } from "./submit-failures.ts";
import { callUpstream } from "./upstream-call.ts";

/** A FundsReserved ahead of its VideoRequested waits in its handler (see request-arrivals.ts) at most this long. */
const REQUEST_WAIT_MS = 2_000;
/**
 * Then it comes back on the consumer's own backoff (250 ms, doubling), capped at 2 s (its request is queued by another
 * replica, or this one's intake is far behind).
 */
const waitForRequestMs = (deliveryCount: number) => Math.min(2_000, defaultRetryDelayMs(deliveryCount));

type FundsReserved = TypedEnvelope & { type: "FundsReserved" };

/**
 * Billing reserved the price: submit. One FundsReserved message drives all of a job's submit tries: each failed try
 * is recorded, and the message comes back (nak with delay) for the next, so failover goes on where it stopped after
 * a crash. The steps: settle what an earlier delivery left (a lost chat stream, a try in doubt), find the channels
 * that may take the job (domain/submit-target.ts), choose one with room (submit-channel.ts), send the job's call
 * (upstream-call.ts), record the answer. Chat streams are read to their end right here.
 */
export const submitJobs = (deps: JobsDeps, records: JobRecords, streams: LiveStreams, requests: RequestArrivals) => {
  const channelById = (id: string) => deps.channels().find((channel) => channel.id === id);
  const release = (state: JobState) =>
    state.submission ? deps.slots.release(state.submission.channelId, state.submission.videoId) : Promise.resolve();

  return async (
    event: FundsReserved,
    ctx: Pick<HandlerContext, "working" | "log" | "deliveryCount">,
  ): Promise<HandlerResult> => {
    const videoId = event.data.videoId;
    let state = await records.load(videoId);
    if (!state.request) {
      await requests.wait(videoId, deps.requestWaitMs ?? REQUEST_WAIT_MS);
      state = await records.load(videoId);
      if (!state.request) return after(waitForRequestMs(ctx.deliveryCount));
    }
    if (state.outcome) return void (await release(state));
    const failures = submitFailures(deps, records, { videoId, event, ctx });

    if (state.submission) {
      const channel = channelById(state.submission.channelId);
      if (!channel || deps.providerFor(channel).follow !== "stream") return undefined; // the follow consumer has it
      // This process reads it: a redelivery despite working() (a stalled event loop); the reader acks.
      if (streams.has(videoId)) return undefined;
      // The message came back: whoever read this chat stream died with it. Try again.
      ctx.log.warn({ channel: channel.id }, "a chat stream was lost with its poller; submitting again");
      const message = "the poller reading the upstream's stream stopped before the video link";
      const { upstreamId } = state.submission;
      state = (await failures.recordLostTry(channel.id, message, state.attempts.length + 1, upstreamId)).state;
      // Another delivery's try was submitted meanwhile (and runs): the slot is its own, and so is the job.
      if (state.submission && !state.outcome) return undefined;
      await deps.slots.release(channel.id, videoId);
      if (state.outcome) return undefined;
    }

    if (deps.now() - Date.parse(event.occurredAt) > deps.deadlineMs) {
      await records.fail(
        videoId,
        event,
        "timeout",
        `No upstream channel took the job within ${deps.deadlineMs / 1000} s.`,
        { unlessSubmitted: true },
      );
      return undefined;
    }

    // A try in doubt (its poller died mid-submit) is settled before anything is sent again.
    const recovery = recoverSubmit(state, deps.channels());
    if (recovery.kind === "abandon") {
      ctx.log.warn({ channel: recovery.channelId }, `a submit in doubt cannot be reconciled: ${recovery.message}`);
      state = (await failures.recordLostTry(recovery.channelId, recovery.message, state.attempts.length + 1)).state;
      if (state.submission && !state.outcome) return undefined;
      await deps.slots.release(recovery.channelId, videoId);
      if (state.outcome) return undefined;
    }

    const request = state.request!;
    const sourceId = sourceVideoIdOf(request);
    const target = submitTarget(
      request,
      sourceId === undefined ? undefined : await records.load(sourceId),
      deps.channels(),
    );
    if ("fail" in target) {
      await records.fail(videoId, event, target.fail.code, target.fail.message, { unlessSubmitted: true });
      return undefined;
    }
    const choice = await chooseChannel({
      deps,
      records,
      state,
      eligible: target.eligible,
      recovery,
      event,
      ctx,
    });
    if (choice.kind === "wait") return after(choice.ms);
    const { channel, idempotencyKey } = choice;

    const attempt = state.attempts.length + 1;
    const provider = deps.providerFor(channel);
    const reading = provider.follow === "stream" ? streams.open(videoId) : undefined;
    try {
      let submitted: Submitted;
      try {
        submitted = await callUpstream({
          provider,
          channel,
          request,
          call: target.call,
          idempotencyKey,
          objects: deps.objects,
          signal: reading?.signal,
        });
      } catch (error) {
        // The slot is the video's on this channel: a try another delivery submitted here meanwhile holds it now.
        if ((await records.load(videoId)).submission?.channelId !== channel.id)
          await deps.slots.release(channel.id, videoId);
        if (!(error instanceof UpstreamError)) throw error;
        return await failures.submitFailed(error, channel, attempt);
      }
      deps.crashPoint?.("submit-accepted");
      const now = Math.floor(deps.now() / 1000);
      // A job whose create answered that it had already ended (the Videos API's create answers the Video object a
      // poll does) is recorded ended in the submission's own commit, so the follow consumer finds it ended and never
      // polls. On a job cancelled meanwhile it decides nothing (the job has its outcome), as on a job another try
      // submitted (it has its submission).
      const report = submitted.report && !submitted.updates ? submitted.report : undefined;
      const decided = await records.execute(
        videoId,
        {
          type: "RecordSubmission",
          channelId: channel.id,
          upstreamId: submitted.upstreamId,
          now,
          ...(report ? { report } : {}),
        },
        event,
        `submit-${attempt}`,
      );
      if (decided.state.submission?.upstreamId !== submitted.upstreamId) {
        // Cancelled while we submitted: stop what we just started.
        await provider.cancel(submitted.upstreamId).catch(() => undefined);
        await deps.slots.release(channel.id, videoId);
        return undefined;
      }
      if (submitted.updates) {
        await followStream({ records, videoId, updates: submitted.updates, cause: event, ctx, attempt, now: deps.now });
        await deps.slots.release(channel.id, videoId);
      }
      return undefined;
    } finally {
      if (reading) streams.close(videoId, reading);
    }
  };
};
