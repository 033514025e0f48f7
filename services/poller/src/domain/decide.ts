import type { JobReport } from "@reelgate/upstream";
import { evolveJob, type JobEvent, type JobState } from "./job.ts";

export type JobCommand =
  | { type: "QueueJob"; request: Extract<JobEvent, { type: "JobQueued" }>["data"] }
  | { type: "RecordSubmitIntent"; channelId: string; idempotencyKey: string; now: number }
  | {
      type: "RecordSubmission";
      channelId: string;
      upstreamId: string;
      now: number;
      /** The create's own answer, where it says the job has already ended: its end is recorded in the same commit. */
      report?: JobReport;
    }
  | {
      type: "RecordAttemptFailure";
      channelId: string;
      status: number | null;
      message: string;
      retryAfterMs: number | null;
      /** Tries allowed in all: the one that exhausts them fails the job. */
      maxAttempts: number;
      now: number;
      /** The submission this failure ends (a chat stream lost with its reader), if the try had one. */
      upstreamId?: string;
    }
  | {
      type: "RecordReport";
      report: JobReport;
      now: number;
      /** The upstream job the report is about, where it may not be the job's submission (a create's own answer). */
      upstreamId?: string;
    }
  | {
      type: "FailJob";
      code: string;
      message: string;
      now: number;
      /**
       * A submit try's verdict (no channel took it in time, the request is wrong): void once another delivery's try
       * was submitted, whose job runs on upstream.
       */
      unlessSubmitted?: boolean;
    };

/** The job's rules. Pure: the clock comes in the command (unix seconds). */
export const decideJob = (command: JobCommand, state: JobState): JobEvent[] => {
  // A report on another upstream job than the one recorded (another try won the race) says nothing of this job.
  if (
    command.type === "RecordReport" &&
    command.upstreamId !== undefined &&
    command.upstreamId !== state.submission?.upstreamId
  )
    return [];
  if (command.type === "RecordReport" && state.outcome) return lateCompletion(command.report, command.now, state);
  if (state.outcome) return [];
  switch (command.type) {
    case "QueueJob":
      return state.request ? [] : [{ type: "JobQueued", data: command.request }];
    case "RecordSubmitIntent": {
      // One intent per try: the same try redelivered (or resumed after a crash) keeps the first.
      if (!state.request || state.submission || state.unsettled) return [];
      const { channelId, idempotencyKey, now } = command;
      const attempt = state.attempts.length + 1;
      return [
        {
          type: "SubmitAttempted",
          data: { videoId: state.request.videoId, channelId, attempt, idempotencyKey, startedAt: now },
        },
      ];
    }
    case "RecordSubmission": {
      if (!state.request || state.submission) return [];
      const { channelId, upstreamId, now, report } = command;
      const submitted: JobEvent = {
        type: "JobSubmitted",
        data: { videoId: state.request.videoId, channelId, upstreamId, submittedAt: now },
      };
      // The events the job's first poll would have recorded, decided on the job as its submission leaves it.
      return report ? [submitted, ...eventsFromReport(report, now, evolveJob(state, submitted))] : [submitted];
    }
    case "RecordAttemptFailure": {
      if (!state.request) return [];
      // Two deliveries of one FundsReserved can try at once (a stalled poller's message comes back): the failure of
      // one says nothing of the job once the other's try was submitted. Recorded, it would end that submission, and
      // with it the job's follow chain, while the upstream job runs on.
      if (state.submission && state.submission.upstreamId !== command.upstreamId) return [];
      const videoId = state.request.videoId;
      const attempt = state.attempts.length + 1;
      const { channelId, status, message, retryAfterMs, now } = command;
      const failed: JobEvent = {
        type: "SubmitAttemptFailed",
        data: { videoId, channelId, attempt, status, message, retryAfterMs, failedAt: now },
      };
      if (attempt < command.maxAttempts) return [failed];
      return [
        failed,
        {
          type: "JobFailed",
          data: {
            videoId,
            code: "upstream_unavailable",
            // Reelgate's words: the upstream's own (kept on SubmitAttemptFailed for the operator) are not the client's.
            message: `No upstream channel could take the job after ${attempt} tries${status === null ? "" : `; the last answered HTTP ${status}`}.`,
            failedAt: now,
          },
        },
      ];
    }
    case "RecordReport":
      return eventsFromReport(command.report, command.now, state);
    case "FailJob":
      if (!state.request || (command.unlessSubmitted && state.submission)) return [];
      return [
        {
          type: "JobFailed",
          data: { videoId: state.request.videoId, code: command.code, message: command.message, failedAt: command.now },
        },
      ];
  }
};

/** The length a job was asked to make: an extension's request names the extension's own seconds, on top of its source's. */
const askedSeconds = (request: NonNullable<JobState["request"]>) =>
  request.operation === "extend" && request.sourceSeconds
    ? String(Number(request.sourceSeconds) + Number(request.seconds))
    : request.seconds;

const completedData = (report: JobReport, now: number, state: JobState) => {
  const { request, submission } = state;
  if (!request || !submission) return undefined;
  return {
    videoId: request.videoId,
    channelId: submission.channelId,
    // Streamed providers end with a link: that is what fetches the media.
    upstreamId: report.mediaId ?? submission.upstreamId,
    // The upstream's own account of what it made is what billing charges for. One that names no length (Veo) made
    // what was asked: for an extension, the stitched whole (source + extension), as Veo documents its result.
    model: request.model,
    seconds: report.seconds || askedSeconds(request),
    size: report.size || request.size,
    variants: report.variants,
    completedAt: now,
    expiresAt: report.expiresAt,
  };
};

const eventsFromReport = (report: JobReport, now: number, state: JobState): JobEvent[] => {
  const { request, submission } = state;
  if (!request || !submission) return [];
  switch (report.status) {
    case "completed": {
      const data = completedData(report, now, state);
      return data ? [{ type: "JobCompleted", data }] : [];
    }
    case "failed": {
      const error = report.error ?? { code: "upstream_failed", message: "the upstream job failed" };
      return [
        {
          type: "JobFailed",
          data: { videoId: request.videoId, code: error.code, message: error.message, failedAt: now },
        },
      ];
    }
    default:
      return report.progress > state.progress
        ? [{ type: "JobProgressed", data: { videoId: request.videoId, progress: report.progress } }]
        : [];
  }
};

/** After we failed a job for its deadline, an upstream that finishes it anyway is recorded, never dropped. */
const lateCompletion = (report: JobReport, now: number, state: JobState): JobEvent[] => {
  if (report.status !== "completed" || state.outcome !== "failed" || state.failure?.code !== "timeout") return [];
  if (state.completedLate) return [];
  const data = completedData(report, now, state);
  return data ? [{ type: "JobCompletedLate", data }] : [];
};
