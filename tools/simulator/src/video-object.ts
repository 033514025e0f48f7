import { endsAtMs, type Job, type JobStatus, statusAt } from "./jobs.ts";

/** The OpenAI Video object, as `GET /videos/{id}` returns it. */
export interface VideoObject {
  id: string;
  object: "video";
  model: string;
  status: JobStatus;
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  seconds: string;
  size: string;
  prompt: string;
  error: { code: string; message: string } | null;
  remixed_from_video_id: string | null;
}

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

export const videoObjectAt = (job: Job, nowMs: number): VideoObject => {
  const { status, progress } = statusAt(job, nowMs);
  return {
    id: job.id,
    object: "video",
    model: job.model,
    status,
    progress,
    created_at: unixSeconds(job.createdAtMs),
    completed_at: status === "completed" ? unixSeconds(endsAtMs(job)) : null,
    expires_at: null,
    seconds: job.seconds,
    size: job.size,
    prompt: job.prompt,
    error:
      status !== "failed"
        ? null
        : job.errorMessage !== undefined
          ? { code: "upstream_error", message: job.errorMessage }
          : job.endedEarly === "cancelled"
            ? { code: "cancelled", message: "The video was cancelled." }
            : {
                code: "content_policy_violation",
                message: "Your request was blocked by the (simulated) moderation system.",
              },
    remixed_from_video_id: job.remixedFromVideoId,
  };
};
