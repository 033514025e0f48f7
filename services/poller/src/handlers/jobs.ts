import { type EventData, streamId, type TypedEnvelope } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { HandlerResult } from "@reelgate/messaging";
import type { ObjectStorage } from "@reelgate/object-storage";
import { aggregateRepository, type EventMeta } from "@reelgate/runtime";
import { type Channel, type Provider, type SubmitRequest, UpstreamError } from "@reelgate/upstream";
import { jobAggregate } from "../domain/aggregate.ts";
import type { JobCommand } from "../domain/decide.ts";
import { nextPollDelayMs } from "../domain/decide.ts";
import { pickChannel } from "../domain/pick-channel.ts";

export interface JobsDeps {
  store: EventStore;
  /** Where ingress stored the input images. */
  objects: ObjectStorage;
  channels: () => Channel[];
  providerFor: (channel: Channel) => Provider;
  now: () => number;
  random: () => number;
  deadlineMs: number;
  /** Submit attempts on retryable upstream errors before the job is failed. */
  maxSubmitAttempts: number;
  onAppended: () => void;
}

const WAIT_FOR_REQUEST_MS = 250;

/** The poller's use cases: take a job in, submit it once funded, follow it to its end. */
export const jobs = (deps: JobsDeps) => {
  const repository = aggregateRepository(deps.store, jobAggregate);

  const execute = async (videoId: string, command: JobCommand, cause: TypedEnvelope, purpose: string) => {
    const meta: EventMeta = {
      commitId: `${purpose}:${videoId}`,
      correlationId: videoId,
      causationId: cause.id,
      accountId: cause.accountId,
      now: new Date(deps.now()),
    };
    const decision = await repository.execute(streamId("job", videoId), command, meta);
    if (decision.events.length > 0) deps.onAppended();
    return decision;
  };

  /** The stored input image, ready for the upstream's form. */
  const inputImage = async (reference: EventData<"JobQueued">["inputReference"]) => {
    if (!reference) return undefined;
    const object = await deps.objects.get(reference.key);
    if (!object) throw new Error(`input image ${reference.key} is missing from storage`);
    const bytes = Buffer.concat(await object.body.toArray());
    return {
      bytes,
      contentType: reference.contentType,
      filename: reference.key.slice(reference.key.lastIndexOf("/") + 1),
    };
  };

  const fail = (videoId: string, cause: TypedEnvelope, code: string, message: string) =>
    execute(videoId, { type: "FailJob", code, message, now: Math.floor(deps.now() / 1000) }, cause, "fail");

  return {
    async onVideoRequested(event: TypedEnvelope & { type: "VideoRequested" }) {
      const { quoteMicros: _quote, createdAt: _created, ...request } = event.data;
      await execute(request.videoId, { type: "QueueJob", request }, event, "queue");
    },

    /** Billing reserved the price: submit. The one message that triggers a submit is FundsReserved. */
    async onFundsReserved(
      event: TypedEnvelope & { type: "FundsReserved" },
      deliveryCount: number,
    ): Promise<HandlerResult> {
      const videoId = event.data.videoId;
      const { state } = await repository.load(streamId("job", videoId));
      if (!state.request) return { retryInMs: WAIT_FOR_REQUEST_MS };
      if (state.submission || state.outcome) return undefined;
      const request = state.request;
      const channel = pickChannel(deps.channels(), request.model, deps.random());
      if (!channel)
        return void (await fail(videoId, event, "no_channel", `no upstream channel serves model ${request.model}`));
      try {
        const image = await inputImage(request.inputReference);
        const submission: SubmitRequest = {
          model: channel.models[request.model] ?? request.model,
          prompt: request.prompt,
          seconds: request.seconds,
          size: request.size,
          idempotencyKey: videoId,
          ...(image ? { inputReference: image } : {}),
        };
        const { upstreamId } = await deps.providerFor(channel).submit(submission);
        await execute(
          videoId,
          { type: "RecordSubmission", channelId: channel.id, upstreamId, now: Math.floor(deps.now() / 1000) },
          event,
          "submit",
        );
        return undefined;
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        if (!error.retryable) return void (await fail(videoId, event, "upstream_rejected", error.message));
        if (deliveryCount >= deps.maxSubmitAttempts)
          return void (await fail(videoId, event, "upstream_unavailable", error.message));
        throw error;
      }
    },

    /** Its owner deleted the video: a job not yet ended is cancelled (failed), so its reservation is released. */
    async onVideoDeleted(event: TypedEnvelope & { type: "VideoDeleted" }): Promise<HandlerResult> {
      const videoId = event.data.videoId;
      const { state } = await repository.load(streamId("job", videoId));
      if (!state.request) return { retryInMs: WAIT_FOR_REQUEST_MS };
      await fail(videoId, event, "cancelled", "The video was deleted before it was finished.");
      return undefined;
    },

    /** Asks the upstream how the job is doing; the message comes back until the job ends. */
    async onJobSubmitted(event: TypedEnvelope & { type: "JobSubmitted" }): Promise<HandlerResult> {
      const videoId = event.data.videoId;
      const { state } = await repository.load(streamId("job", videoId));
      if (state.outcome || !state.submission) return undefined;
      const ageMs = deps.now() - state.submission.submittedAt * 1000;
      if (ageMs > deps.deadlineMs) {
        await fail(
          videoId,
          event,
          "timeout",
          `no result from the upstream within ${Math.round(deps.deadlineMs / 1000)} s`,
        );
        return undefined;
      }
      const channel = deps.channels().find((candidate) => candidate.id === state.submission?.channelId);
      if (!channel) {
        await fail(videoId, event, "channel_removed", "the channel that made this video is no longer configured");
        return undefined;
      }
      try {
        const report = await deps.providerFor(channel).status(state.submission.upstreamId);
        const progressKey =
          report.status === "in_progress" || report.status === "queued" ? `progress-${report.progress}` : "end";
        const decision = await execute(
          videoId,
          { type: "RecordReport", report, now: Math.floor(deps.now() / 1000) },
          event,
          progressKey,
        );
        if (decision.state.outcome) return undefined;
        return { retryInMs: nextPollDelayMs(ageMs) };
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        if (!error.retryable) {
          await fail(videoId, event, "upstream_error", error.message);
          return undefined;
        }
        return { retryInMs: nextPollDelayMs(ageMs, error.retryAfterMs) };
      }
    },
  };
};
