import type { JobReport } from "@reelgate/upstream";
import type { JobEvent, JobState } from "./job.ts";

export type JobCommand =
  | { type: "QueueJob"; request: Extract<JobEvent, { type: "JobQueued" }>["data"] }
  | { type: "RecordSubmission"; channelId: string; upstreamId: string; now: number }
  | { type: "RecordReport"; report: JobReport; now: number }
  | { type: "FailJob"; code: string; message: string; now: number };

/** The job's rules. Pure: the clock comes in the command. */
export const decideJob = (command: JobCommand, state: JobState): JobEvent[] => {
  if (state.outcome) return [];
  switch (command.type) {
    case "QueueJob":
      return state.request ? [] : [{ type: "JobQueued", data: command.request }];
    case "RecordSubmission": {
      if (!state.request || state.submission) return [];
      const { channelId, upstreamId, now } = command;
      return [
        { type: "JobSubmitted", data: { videoId: state.request.videoId, channelId, upstreamId, submittedAt: now } },
      ];
    }
    case "RecordReport":
      return eventsFromReport(command.report, command.now, state);
    case "FailJob":
      if (!state.request) return [];
      return [
        {
          type: "JobFailed",
          data: { videoId: state.request.videoId, code: command.code, message: command.message, failedAt: command.now },
        },
      ];
  }
};

const eventsFromReport = (report: JobReport, now: number, state: JobState): JobEvent[] => {
  const { request, submission } = state;
  if (!request || !submission) return [];
  const videoId = request.videoId;
  switch (report.status) {
    case "completed":
      return [
        {
          type: "JobCompleted",
          data: {
            videoId,
            channelId: submission.channelId,
            upstreamId: submission.upstreamId,
            // The upstream's own account of what it made is what billing charges for.
            model: request.model,
            seconds: report.seconds || request.seconds,
            size: report.size || request.size,
            variants: report.variants,
            completedAt: now,
            expiresAt: report.expiresAt,
          },
        },
      ];
    case "failed": {
      const error = report.error ?? { code: "upstream_failed", message: "the upstream job failed" };
      return [{ type: "JobFailed", data: { videoId, code: error.code, message: error.message, failedAt: now } }];
    }
    default:
      return report.progress > state.progress
        ? [{ type: "JobProgressed", data: { videoId, progress: report.progress } }]
        : [];
  }
};

/** When to ask the upstream again: fast at first, slower the longer the job runs, never sooner than it asked. */
export const nextPollDelayMs = (ageMs: number, retryAfterMs?: number): number => {
  const byAge = ageMs < 10_000 ? 500 : ageMs < 60_000 ? 2_000 : ageMs < 600_000 ? 5_000 : 15_000;
  return Math.max(byAge, retryAfterMs ?? 0);
};
