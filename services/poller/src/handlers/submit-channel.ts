import type { TypedEnvelope } from "@reelgate/contracts";
import type { HandlerContext } from "@reelgate/messaging";
import type { Channel } from "@reelgate/upstream";
import { planSubmit } from "../domain/failover.ts";
import type { JobState } from "../domain/job.ts";
import type { SubmitRecovery } from "../domain/submit-recovery.ts";
import type { JobsDeps } from "./deps.ts";
import type { JobRecords } from "./job-records.ts";

/** How soon a job that found every eligible channel full looks again (plus up to as much again, at random). */
const WAIT_FOR_ROOM_MS = 1_000;

export type ChannelChoice =
  /** Send on this channel with this key (a slot on it is held for the job). */
  | { kind: "send"; channel: Channel; idempotencyKey: string }
  /** Nothing may be sent now: ask again after this long. */
  | { kind: "wait"; ms: number };

/**
 * The channel of the next try, with a slot on it: the try in doubt's own (resumed with its key), or the first of
 * the plan with room, whose intent goes on record before anything is sent.
 */
export const chooseChannel = async ({
  deps,
  records,
  state,
  eligible,
  recovery,
  event,
  ctx,
}: {
  deps: JobsDeps;
  records: JobRecords;
  state: JobState;
  eligible: Channel[];
  recovery: SubmitRecovery;
  event: TypedEnvelope;
  /** Its `log` is read only to warn (the message's child logger is made on first use). */
  ctx: Pick<HandlerContext, "log">;
}): Promise<ChannelChoice> => {
  const videoId = state.request!.videoId;
  const roomWait = (): ChannelChoice => ({ kind: "wait", ms: WAIT_FOR_ROOM_MS * (1 + deps.random()) });
  if (recovery.kind === "resume") {
    // The same channel, the same key: the upstream answers with the job it made, if it made one.
    ctx.log.warn({ channel: recovery.channel.id }, "resuming a submit in doubt with its idempotency key");
    // Its slot is normally still held by this video (acquire is idempotent for it).
    if (!(await deps.slots.acquire(recovery.channel.id, videoId, recovery.channel.max_concurrent))) return roomWait();
    return { kind: "send", channel: recovery.channel, idempotencyKey: recovery.idempotencyKey };
  }
  const plan = planSubmit({
    eligible,
    attempts: state.attempts,
    now: deps.now(),
    random: deps.random,
    coolDownUntil: deps.coolDowns.until,
  });
  if (plan.kind === "wait") return plan;
  let channel: Channel | undefined;
  for (const candidate of plan.channels)
    if (await deps.slots.acquire(candidate.id, videoId, candidate.max_concurrent)) {
      channel = candidate;
      break;
    }
  if (!channel) return roomWait();
  // The intent goes on record before the call: a crash from here on leaves a try in doubt, not a second job.
  await records.execute(
    videoId,
    { type: "RecordSubmitIntent", channelId: channel.id, idempotencyKey: videoId, now: Math.floor(deps.now() / 1000) },
    event,
    `intent-${state.attempts.length + 1}`,
  );
  return { kind: "send", channel, idempotencyKey: videoId };
};
