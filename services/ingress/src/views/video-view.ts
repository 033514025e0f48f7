import type { EventData, TypedEnvelope, Variant, VideoSpec } from "@reelgate/contracts";

type Versioned<T> = T & { v: number };

export interface StoredVariant {
  key: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

/**
 * The task read model as stored: one sub-state per source stream, each with the version it was last
 * set from, so events applied in any order across (and within) streams give the same document. Any
 * event about a video starts its document; the request's part (`task`, the owner, the creation time,
 * the pending quote) is null until its VideoRequested arrives, and such a document is not served
 * (see `isRequested`): the API answers 404 for it, lists and the balance check skip it.
 */
export interface VideoDocument {
  id: string;
  accountId: string | null;
  createdAt: number | null;
  /** When the request was recorded, in milliseconds: the list's order (created_at is in whole seconds). */
  createdAtMs: number | null;
  /** The quote while billing has not answered yet; null after (and before the request). Summed per account for the balance check. */
  pendingQuoteMicros: number | null;
  /** Deleted by its owner: gone from the API (lists and reads), kept for the record. */
  deleted: boolean;
  task: Versioned<EventData<"VideoRequested">> | null;
  billing: Versioned<{ state: "reserved" | "rejected" | "captured" | "released"; reason: string | null }> | null;
  job: Versioned<{
    state: "submitted" | "completed" | "failed";
    /** While submitted: the highest progress reported by any of its JobProgressed events. */
    progress: number;
    completedAt: number | null;
    expiresAt: number | null;
    error: { code: string; message: string } | null;
    /** What the upstream says it made (remixes are priced from it); absent on views written before it was kept. */
    made?: VideoSpec | null;
    /** The channel that made it (edits and extensions are pinned there); absent on views written before it was kept. */
    channelId?: string | null;
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

/** A document whose VideoRequested has arrived: the only kind the API serves. */
export type VideoView = VideoDocument & {
  accountId: string;
  createdAt: number;
  createdAtMs: number;
  task: NonNullable<VideoDocument["task"]>;
};

export const isRequested = (doc: VideoDocument): doc is VideoView => doc.task !== null;

/** Where a variant that could not be copied can still be had (through the channel) until the upstream link expires. */
export type UpstreamFallback = NonNullable<EventData<"MediaStorageFailed">["fallback"]>;

/** A document no event has filled in yet: every sub-state empty. */
const emptyDocument = (id: string): VideoDocument => ({
  id,
  accountId: null,
  createdAt: null,
  createdAtMs: null,
  pendingQuoteMicros: null,
  deleted: false,
  task: null,
  billing: null,
  job: null,
  assets: {},
});

/** The video an event is about, if it is about one: every event of a video names it in its data. */
export const videoIdOf = (event: TypedEnvelope): string | undefined => {
  const data = event.data as { videoId?: unknown };
  return typeof data.videoId === "string" ? data.videoId : undefined;
};

/**
 * Whether the event can change a video's document at all, asked before the projection reads it: the event
 * applied to an empty document. Every type the switch below handles starts a document; every other type
 * gives undefined, so the switch is the one list of the types that matter.
 */
export const changesVideoView = (event: TypedEnvelope) => {
  const videoId = videoIdOf(event);
  return videoId !== undefined && applyToDocument(emptyDocument(videoId), event) !== undefined;
};

const newer = (current: { v: number } | null | undefined, version: number) => !current || version > current.v;

/**
 * Applies one event of any category to the document. Returns undefined when the event changes nothing
 * (older than what the document holds, or not about this video), so the caller skips the write.
 * `current` is undefined when no event of the video has been applied yet: any event about it starts it.
 * Commutative: every sub-state is a function of the set of events seen, never of their order.
 */
export const applyToVideoView = (
  current: VideoDocument | undefined,
  event: TypedEnvelope,
): VideoDocument | undefined => {
  const videoId = videoIdOf(event);
  if (!videoId || (current && current.id !== videoId)) return undefined;
  return applyToDocument(current ?? emptyDocument(videoId), event);
};

const applyToDocument = (view: VideoDocument, event: TypedEnvelope): VideoDocument | undefined => {
  const v = event.version;
  switch (event.type) {
    case "VideoRequested": {
      if (!newer(view.task, v)) return undefined;
      return {
        ...view,
        accountId: event.data.accountId,
        createdAt: event.data.createdAt,
        createdAtMs: Date.parse(event.occurredAt),
        // Pending only while billing has not answered: billing may have answered before the request arrived.
        pendingQuoteMicros: view.billing ? null : event.data.quoteMicros,
        task: { ...event.data, v },
      };
    }
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
      if (!newer(view.job, v)) return higherProgress(view, event);
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

/**
 * An older JobProgressed still counts while the job is running: progress is the highest reported,
 * so it does not matter which of two progress events arrives first.
 */
const higherProgress = (view: VideoDocument, event: TypedEnvelope): VideoDocument | undefined => {
  if (event.type !== "JobProgressed" || view.job?.state !== "submitted") return undefined;
  if (event.data.progress <= view.job.progress) return undefined;
  return { ...view, job: { ...view.job, progress: event.data.progress } };
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
        channelId: event.data.channelId,
      };
    case "JobFailed":
      return { ...base, state: "failed", error: { code: event.data.code, message: event.data.message } };
    default:
      return { ...base, progress: previous?.progress ?? 0 };
  }
};
