import type { TypedEnvelope } from "@reelgate/contracts";
import type { ServedEventType } from "./event-types.ts";

/**
 * What the notifier knows of one video, from the events it consumes: just enough to tell when the
 * video's own GET answers `completed` or `failed`. Events may arrive in any order across streams.
 */
export interface VideoOutcome {
  id: string;
  accountId: string | null;
  rejected: boolean;
  /** The job's latest terminal event, by its version in the job stream. */
  job: { state: "completed" | "failed"; v: number } | null;
  /** The video variant is stored, could not be stored (its upstream link stands in), or was deleted. */
  mediaSettled: boolean;
  /** The event types already scheduled for the account's endpoints. */
  announced: ServedEventType[];
}

export const newVideoOutcome = (id: string): VideoOutcome => ({
  id,
  accountId: null,
  rejected: false,
  job: null,
  mediaSettled: false,
  announced: [],
});

/** The events this rule reads (the notifier's consumers subscribe to exactly these). */
export const outcomeInputs = [
  ["task", "VideoRequested"],
  ["account", "ReservationRejected"],
  ["job", "JobCompleted"],
  ["job", "JobCompletedLate"],
  ["job", "JobFailed"],
  ["asset", "MediaStored"],
  ["asset", "MediaStorageFailed"],
  ["asset", "MediaDeleted"],
] as const;

/** Applies one event; undefined when it changes nothing. */
export const applyToOutcome = (current: VideoOutcome | undefined, event: TypedEnvelope): VideoOutcome | undefined => {
  const videoId = (event.data as { videoId?: string }).videoId;
  if (!videoId) return undefined;
  const view = current ?? newVideoOutcome(videoId);
  const withAccount = view.accountId ? view : { ...view, accountId: event.accountId ?? null };
  switch (event.type) {
    case "VideoRequested":
      return view.accountId === event.data.accountId ? undefined : { ...view, accountId: event.data.accountId };
    case "ReservationRejected":
      return view.rejected ? undefined : { ...withAccount, rejected: true };
    case "JobCompleted":
    case "JobCompletedLate":
    case "JobFailed": {
      if (view.job && view.job.v >= event.version) return undefined;
      const state = event.type === "JobFailed" ? "failed" : "completed";
      return { ...withAccount, job: { state, v: event.version } };
    }
    case "MediaStored":
    case "MediaStorageFailed":
      if (event.data.variant !== "video" || view.mediaSettled) return undefined;
      return { ...withAccount, mediaSettled: true };
    case "MediaDeleted":
      return view.mediaSettled ? undefined : { ...withAccount, mediaSettled: true };
    default:
      return undefined;
  }
};

/**
 * Whether the event can change any video's outcome. Every case of `applyToOutcome` changes a fresh
 * outcome when it can change one at all, so the switch itself answers (no second list to keep equal to it).
 */
export const canChangeOutcome = (event: TypedEnvelope): boolean => applyToOutcome(undefined, event) !== undefined;

/**
 * The webhook event the video's public status calls for, if any. The same rule as ingress's `statusOf`
 * (services/ingress/src/domain/video-object.ts): a rejected reservation or a failed job is `failed`; a
 * completed job is `completed` only once its media settled (before that GET answers in_progress).
 */
export const terminalEventOf = (view: VideoOutcome): ServedEventType | null => {
  if (view.rejected || view.job?.state === "failed") return "video.failed";
  if (view.job?.state === "completed" && view.mediaSettled) return "video.completed";
  return null;
};
