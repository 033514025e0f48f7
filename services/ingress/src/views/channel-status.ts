import type { VideoEventView } from "./video-history.ts";

/** What an operator sees of one channel: never shown to tenants (channel names are the operator's). */
export interface ChannelStatus {
  id: string;
  provider: string | null;
  /** In the channels file now; a channel only seen in events was removed from it. */
  configured: boolean;
  disabled: boolean;
  max_concurrent: number | null;
  jobs_in_flight: number;
  errors_last_hour: number;
  last_error: { message: string; video_id: string; at: string } | null;
}

export interface ConfiguredChannel {
  id: string;
  provider: string;
  disabled: boolean;
  max_concurrent?: number | undefined;
}

/** Events after which a video holds no channel any more. */
const ends = new Set(["JobCompleted", "JobCompletedLate", "JobFailed", "VideoDeleted", "ReservationReleased"]);

/**
 * Channel health from the video events ingress's projection already keeps, oldest first: a job is in
 * flight on the channel of its last JobSubmitted until an end event; an error is a SubmitAttemptFailed
 * (it names its channel) or a JobFailed (charged to the channel the job was on). Pure: the caller reads
 * the events of the window (the job deadline, at least the last hour).
 */
export const channelStatuses = (
  configured: ConfiguredChannel[],
  events: VideoEventView[],
  nowMs: number,
): ChannelStatus[] => {
  const statuses = new Map<string, ChannelStatus>();
  const statusOf = (id: string) => {
    let status = statuses.get(id);
    if (!status) {
      status = {
        id,
        provider: null,
        configured: false,
        disabled: true,
        max_concurrent: null,
        jobs_in_flight: 0,
        errors_last_hour: 0,
        last_error: null,
      };
      statuses.set(id, status);
    }
    return status;
  };
  for (const channel of configured) {
    Object.assign(statusOf(channel.id), {
      provider: channel.provider,
      configured: true,
      disabled: channel.disabled,
      max_concurrent: channel.max_concurrent ?? null,
    });
  }
  const channelOfVideo = new Map<string, string>();
  const inFlight = new Map<string, string>();
  const hourAgo = nowMs - 3_600_000;
  const error = (channelId: string, event: VideoEventView, message: string) => {
    if (event.occurredAtMs < hourAgo) return;
    const status = statusOf(channelId);
    status.errors_last_hour += 1;
    if (!status.last_error || status.last_error.at <= event.occurredAt)
      status.last_error = { message, video_id: event.videoId, at: event.occurredAt };
  };
  for (const event of events) {
    const data = (event.data ?? {}) as { channelId?: unknown; message?: unknown };
    const channelId = typeof data.channelId === "string" ? data.channelId : undefined;
    if (event.type === "JobSubmitted" && channelId) {
      channelOfVideo.set(event.videoId, channelId);
      inFlight.set(event.videoId, channelId);
    } else if (event.type === "SubmitAttemptFailed" && channelId) {
      error(channelId, event, String(data.message ?? "submit failed"));
    } else if (ends.has(event.type)) {
      inFlight.delete(event.videoId);
      const on = channelOfVideo.get(event.videoId);
      if (event.type === "JobFailed" && on) error(on, event, String(data.message ?? "job failed"));
    }
  }
  for (const channelId of inFlight.values()) statusOf(channelId).jobs_in_flight += 1;
  return [...statuses.values()].sort((a, b) => a.id.localeCompare(b.id));
};
