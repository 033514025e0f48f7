import type { Channel } from "@reelgate/upstream";
import type { JobState } from "./job.ts";

/**
 * Whether the channel's upstream answers a create repeated with the same Idempotency-Key with the
 * job the first one made. The OpenAI Videos API shape (OpenAI and Azure) takes the header; a chat
 * stream has no job to return.
 */
export const honoursIdempotencyKey = (channel: Channel) =>
  channel.provider === "openai" || channel.provider === "azure";

export type SubmitRecovery =
  /** No try is in doubt: plan the next one as usual. */
  | { kind: "none" }
  /** Send the try in doubt again, to the same channel with the same key: the upstream hands back the job it made. */
  | { kind: "resume"; channel: Channel; idempotencyKey: string }
  /** The try in doubt cannot be reconciled: record it as failed (naming what may be left upstream) and plan anew. */
  | { kind: "abandon"; channelId: string; message: string };

/**
 * A poller that died between writing its intent (SubmitAttempted) and the upstream's answer
 * (JobSubmitted or SubmitAttemptFailed) left a try in doubt: the upstream may or may not have a
 * job for it. Decide how to settle it before anything is submitted again.
 */
export const recoverSubmit = (state: JobState, channels: readonly Channel[]): SubmitRecovery => {
  const doubt = state.unsettled;
  if (!doubt || state.submission) return { kind: "none" };
  const channel = channels.find((candidate) => candidate.id === doubt.channelId);
  if (!channel)
    return {
      kind: "abandon",
      channelId: doubt.channelId,
      message: "the poller stopped mid-submit and the channel is no longer configured",
    };
  if (honoursIdempotencyKey(channel)) return { kind: "resume", channel, idempotencyKey: doubt.idempotencyKey };
  return {
    kind: "abandon",
    channelId: doubt.channelId,
    message: "the poller stopped mid-submit; the upstream cannot be asked for the job it may have started",
  };
};
