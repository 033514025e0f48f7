import type { EventData, TypedEnvelope, Variant, VideoSpec } from "@reelgate/contracts";

type Versioned<T> = T & { v: number };

export interface StoredVariant {
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

/**
 * The task read model: one sub-state per source stream, each with the version it was last set
 * from, so events applied in any order across (and within) streams give the same document.
 */
export interface VideoView {
  id: string;
  accountId: string;
  createdAt: number;
  /** When the request was recorded, in milliseconds: the list's order (created_at is in whole seconds). */
  createdAtMs: number;
  /** The quote while billing has not answered yet; null after. Summed per account for the balance check. */
  pendingQuoteMicros: number | null;
  /** Deleted by its owner: gone from the API (lists and reads), kept for the record. */
  deleted: boolean;
  task: Versioned<EventData<"VideoRequested">>;
  billing: Versioned<{ state: "reserved" | "rejected" | "captured" | "released"; reason: string | null }> | null;
  job: Versioned<{
    state: "submitted" | "completed" | "failed";
    progress: number;
    completedAt: number | null;
    expiresAt: number | null;
    error: { code: string; message: string } | null;
    /** What the upstream says it made (remixes are priced from it); absent on views written before it was kept. */
    made?: VideoSpec | null;
  }> | null;
  assets: Partial<
    Record<
      Variant,
      Versioned<{ stored: StoredVariant | null; failure: string | null; fallback?: UpstreamFallback | null }>
    >
  >;
  /** Storage deleted the video's media (its owner deleted it, or retention): no content is served any more. */
  mediaDeleted?: { reason: string; v: number } | null;
}

/** Where a variant that could not be copied can still be had (through the channel) until the upstream link expires. */
export type UpstreamFallback = NonNullable<EventData<"MediaStorageFailed">["fallback"]>;

export const newVideoView = (event: TypedEnvelope & { type: "VideoRequested" }): VideoView => ({
  id: event.data.videoId,
  accountId: event.data.accountId,
  createdAt: event.data.createdAt,
  createdAtMs: Date.parse(event.occurredAt),
  pendingQuoteMicros: event.data.quoteMicros,
  deleted: false,
  task: { ...event.data, v: event.version },
  billing: null,
  job: null,
  assets: {},
});

const newer = (current: { v: number } | null | undefined, version: number) => !current || version > current.v;

/**
 * Applies one event of any category to the view. Returns undefined when the event changes nothing
 * (older than what the view holds, or not about videos), so the caller skips the write.
 * `view` is undefined when the VideoRequested has not arrived yet: then only VideoRequested can start it.
 */
export const applyToVideoView = (view: VideoView | undefined, event: TypedEnvelope): VideoView | undefined => {
  if (event.type === "VideoRequested") {
    if (!view) return newVideoView(event);
    return newer(view.task, event.version) ? { ...view, task: { ...event.data, v: event.version } } : undefined;
  }
  if (!view) return undefined;
  const v = event.version;
  switch (event.type) {
    case "VideoDeleted":
      return view.deleted ? undefined : { ...view, deleted: true };
    case "FundsReserved":
    case "ReservationRejected":
    case "ReservationCaptured":
    case "ReservationReleased": {
      // Account streams interleave many videos: order only this video's billing events by account version.
      if (!newer(view.billing, v)) return undefined;
      const state = (
        {
          FundsReserved: "reserved",
          ReservationRejected: "rejected",
          ReservationCaptured: "captured",
          ReservationReleased: "released",
        } as const
      )[event.type];
      const reason = "reason" in event.data ? event.data.reason : null;
      return { ...view, pendingQuoteMicros: null, billing: { state, reason, v } };
    }
    case "JobSubmitted":
    case "JobProgressed":
    case "JobCompleted":
    case "JobCompletedLate":
    case "JobFailed": {
      if (!newer(view.job, v)) return undefined;
      return { ...view, job: { ...jobSubState(event, view.job), v } };
    }
    case "MediaStored":
    case "MediaStorageFailed": {
      const variant = event.data.variant;
      if (!newer(view.assets[variant], v)) return undefined;
      const sub =
        event.type === "MediaStored"
          ? {
              stored: {
                key: event.data.key,
                bytes: event.data.bytes,
                sha256: event.data.sha256,
                contentType: event.data.contentType,
              },
              failure: null,
            }
          : { stored: null, failure: event.data.reason, fallback: event.data.fallback };
      return { ...view, assets: { ...view.assets, [variant]: { ...sub, v } } };
    }
    case "MediaDeleted":
      return view.mediaDeleted ? undefined : { ...view, mediaDeleted: { reason: event.data.reason, v } };
    default:
      return undefined;
  }
};

const jobSubState = (event: TypedEnvelope, previous: VideoView["job"]): Omit<NonNullable<VideoView["job"]>, "v"> => {
  const base = { state: "submitted" as const, progress: 0, completedAt: null, expiresAt: null, error: null };
  switch (event.type) {
    case "JobProgressed":
      return { ...base, progress: Math.max(event.data.progress, previous?.progress ?? 0) };
    case "JobCompleted":
    case "JobCompletedLate":
      return {
        ...base,
        state: "completed",
        progress: 100,
        completedAt: event.data.completedAt,
        expiresAt: event.data.expiresAt,
        made: { model: event.data.model, seconds: event.data.seconds, size: event.data.size },
      };
    case "JobFailed":
      return { ...base, state: "failed", error: { code: event.data.code, message: event.data.message } };
    default:
      return { ...base, progress: previous?.progress ?? 0 };
  }
};
