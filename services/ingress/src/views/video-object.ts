import type { Video, VideoStatus } from "@reelgate/contracts";
import type { VideoView } from "./video-view.ts";

/**
 * The video counts as completed once its media is ours (or could not be copied and the upstream
 * link stands in), or once storage deleted its media (retention, or its owner): nothing more will
 * be copied then, so waiting for the copy would leave it in_progress forever. Its content answers
 * 404 `content_deleted`.
 */
export const mediaSettled = (view: VideoView) => {
  const video = view.assets.video;
  return Boolean(view.mediaDeleted || (video && (video.stored || video.failure)));
};

export const statusOf = (view: VideoView): { status: VideoStatus; progress: number; error: Video["error"] } => {
  if (view.billing?.state === "rejected") {
    return {
      status: "failed",
      progress: 0,
      error: { code: "insufficient_quota", message: "the account's balance could not cover this video" },
    };
  }
  if (view.job?.state === "failed") return { status: "failed", progress: view.job.progress, error: view.job.error };
  if (view.job?.state === "completed") {
    return mediaSettled(view)
      ? { status: "completed", progress: 100, error: null }
      : { status: "in_progress", progress: 99, error: null };
  }
  if (view.job) return { status: "in_progress", progress: Math.min(view.job.progress, 99), error: null };
  return { status: "queued", progress: 0, error: null };
};

/**
 * An extension shows the stitched total: the source's seconds plus the extension's while unfinished, what the
 * upstream reported once completed (docs/api.md, "Edits, extensions and characters").
 */
const secondsOf = (view: VideoView, status: VideoStatus): string => {
  if (view.task.operation !== "extend") return view.task.seconds;
  if (status === "completed" && view.job?.made) return view.job.made.seconds;
  return String(Number(view.task.sourceSeconds ?? 0) + Number(view.task.seconds));
};

/** The public Video object of a view. */
export const toVideoObject = (view: VideoView): Video => {
  const { status, progress, error } = statusOf(view);
  return {
    id: view.id,
    object: "video",
    model: view.task.model,
    status,
    progress,
    created_at: view.createdAt,
    completed_at: status === "completed" ? (view.job?.completedAt ?? null) : null,
    expires_at: status === "completed" ? (view.job?.expiresAt ?? null) : null,
    prompt: view.task.prompt,
    seconds: secondsOf(view, status),
    size: view.task.size,
    remixed_from_video_id: view.task.remixedFromVideoId,
    error,
  };
};
