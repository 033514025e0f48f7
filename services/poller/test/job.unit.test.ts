import type { EventData } from "@reelgate/contracts";
import type { JobReport } from "@reelgate/upstream";
import { describe, expect, it } from "vitest";
import type { JobEvent } from "../src/domain/job.ts";
import { nextPollDelayMs } from "../src/domain/poll-schedule.ts";
import { queued, request, spec } from "./job-fixtures.ts";

const submitted: JobEvent = {
  type: "JobSubmitted",
  data: { videoId: "video_1", channelId: "main", upstreamId: "up_1", submittedAt: 100 },
};
/** The JobCompleted (or, after the job had failed, JobCompletedLate) a completed report of `submitted` decides. */
const completion = (
  data: Partial<EventData<"JobCompleted">> = {},
  type: "JobCompleted" | "JobCompletedLate" = "JobCompleted",
): JobEvent => ({
  type,
  data: {
    videoId: "video_1",
    channelId: "main",
    upstreamId: "up_1",
    model: "sora-2",
    seconds: "8",
    size: "720x1280",
    variants: ["video", "thumbnail"],
    completedAt: 120,
    expiresAt: null,
    ...data,
  },
});
const report = (overrides: Partial<JobReport>): JobReport => ({
  status: "in_progress",
  progress: 0,
  model: "sora-2",
  seconds: "8",
  size: "720x1280",
  error: null,
  expiresAt: null,
  variants: ["video", "thumbnail"],
  ...overrides,
});

describe("job decider", () => {
  it("queues a job once", () => {
    spec.given([]).when({ type: "QueueJob", request }).thenEmits([queued]);
    spec.given([queued]).when({ type: "QueueJob", request }).thenNothingHappened();
  });

  it("records one submission", () => {
    spec
      .given([queued])
      .when({ type: "RecordSubmission", channelId: "main", upstreamId: "up_1", now: 100 })
      .thenEmits([submitted]);
    spec
      .given([queued, submitted])
      .when({ type: "RecordSubmission", channelId: "b", upstreamId: "up_2", now: 101 })
      .thenNothingHappened();
  });

  it("records a submission whose create answered that the job ended together with that end", () => {
    const failed: JobEvent = {
      type: "JobFailed",
      data: { videoId: "video_1", code: "moderation", message: "blocked", failedAt: 100 },
    };
    spec
      .given([queued])
      .when({
        type: "RecordSubmission",
        channelId: "main",
        upstreamId: "up_1",
        now: 100,
        report: report({ status: "completed", progress: 100, seconds: "4", expiresAt: 999 }),
      })
      .thenEmits([submitted, completion({ seconds: "4", completedAt: 100, expiresAt: 999 })]);
    spec
      .given([queued])
      .when({
        type: "RecordSubmission",
        channelId: "main",
        upstreamId: "up_1",
        now: 100,
        report: report({ status: "failed", error: { code: "moderation", message: "blocked" } }),
      })
      .thenEmits([submitted, failed]);
    // Another try's submission won, or the job was cancelled meanwhile: nothing, the report included.
    spec
      .given([queued, submitted])
      .when({
        type: "RecordSubmission",
        channelId: "b",
        upstreamId: "up_2",
        now: 101,
        report: report({ status: "completed" }),
      })
      .thenNothingHappened();
    spec
      .given([
        queued,
        { type: "JobFailed", data: { videoId: "video_1", code: "cancelled", message: "", failedAt: 99 } },
      ])
      .when({
        type: "RecordSubmission",
        channelId: "main",
        upstreamId: "up_1",
        now: 100,
        report: report({ status: "completed" }),
      })
      .thenNothingHappened();
  });

  it("records progress only when it moved forward", () => {
    spec
      .given([queued, submitted])
      .when({ type: "RecordReport", report: report({ progress: 40 }), now: 110 })
      .thenEmits([{ type: "JobProgressed", data: { videoId: "video_1", progress: 40 } }]);
    const at40: JobEvent = { type: "JobProgressed", data: { videoId: "video_1", progress: 40 } };
    spec
      .given([queued, submitted, at40])
      .when({ type: "RecordReport", report: report({ progress: 40 }), now: 111 })
      .thenNothingHappened();
    spec
      .given([queued, submitted, at40])
      .when({ type: "RecordReport", report: report({ progress: 30 }), now: 111 })
      .thenNothingHappened();
  });

  it("completes with what the upstream reports it made", () =>
    spec
      .given([queued, submitted])
      .when({
        type: "RecordReport",
        report: report({ status: "completed", progress: 100, seconds: "4", expiresAt: 999 }),
        now: 120,
      })
      .thenEmits([completion({ seconds: "4", expiresAt: 999 })]));

  it("fails with the upstream's reason, and nothing happens after the end", () => {
    const failed: JobEvent = {
      type: "JobFailed",
      data: { videoId: "video_1", code: "moderation", message: "blocked", failedAt: 130 },
    };
    spec
      .given([queued, submitted])
      .when({
        type: "RecordReport",
        report: report({ status: "failed", error: { code: "moderation", message: "blocked" } }),
        now: 130,
      })
      .thenEmits([failed]);
    spec
      .given([queued, submitted, failed])
      .when({ type: "RecordReport", report: report({ status: "completed" }), now: 140 })
      .thenNothingHappened();
    spec
      .given([queued, submitted, failed])
      .when({ type: "FailJob", code: "timeout", message: "late", now: 140 })
      .thenNothingHappened();
  });

  it("takes a report naming its upstream job only for the job's own submission", () => {
    const done = report({ status: "completed" });
    spec
      .given([queued, submitted])
      .when({ type: "RecordReport", report: done, now: 120, upstreamId: "up_other" })
      .thenNothingHappened();
    spec
      .given([queued])
      .when({ type: "RecordReport", report: done, now: 120, upstreamId: "up_1" })
      .thenNothingHappened();
    spec
      .given([queued, submitted])
      .when({ type: "RecordReport", report: done, now: 120, upstreamId: "up_1" })
      .thenEmits([completion()]);
  });

  it("polls fast at first, slower later, and never before Retry-After", () => {
    expect(nextPollDelayMs(1_000)).toBeLessThan(nextPollDelayMs(120_000));
    expect(nextPollDelayMs(1_000, 7_000)).toBe(7_000);
    // Spread by up to a quarter, never less than the base.
    expect(nextPollDelayMs(1_000, undefined, 0.99)).toBeGreaterThan(nextPollDelayMs(1_000));
    expect(nextPollDelayMs(1_000, undefined, 0.99)).toBeLessThanOrEqual(625);
    // A provider's own interval (Veo: 10 s) is a floor, still spread, and a longer Retry-After still wins.
    expect(nextPollDelayMs(1_000, undefined, 0, 10_000)).toBe(10_000);
    expect(nextPollDelayMs(1_000, undefined, 0.99, 10_000)).toBeGreaterThan(10_000);
    expect(nextPollDelayMs(1_000, 30_000, 0, 10_000)).toBe(30_000);
    expect(nextPollDelayMs(700_000, undefined, 0, 10_000)).toBe(15_000);
  });

  const attemptFailed = (attempt: number, channelId: string, status: number | null = 500): JobEvent => ({
    type: "SubmitAttemptFailed",
    data: { videoId: "video_1", channelId, attempt, status, message: "boom", retryAfterMs: null, failedAt: 100 },
  });

  it("records each failed try, numbered, and fails the job on the last one allowed", () => {
    const failure = {
      type: "RecordAttemptFailure" as const,
      status: 500,
      message: "boom",
      retryAfterMs: null,
      maxAttempts: 3,
      now: 100,
    };
    spec
      .given([queued])
      .when({ ...failure, channelId: "a" })
      .thenEmits([attemptFailed(1, "a")]);
    spec
      .given([queued, attemptFailed(1, "a"), attemptFailed(2, "b")])
      .when({ ...failure, channelId: "a" })
      .thenEmits([
        attemptFailed(3, "a"),
        {
          type: "JobFailed",
          data: {
            videoId: "video_1",
            code: "upstream_unavailable",
            message: "No upstream channel could take the job after 3 tries; the last answered HTTP 500.",
            failedAt: 100,
          },
        },
      ]);
  });

  it("a failed try says nothing of a job another try submitted; a lost chat stream ends the submission it names", () => {
    const lostStream = {
      type: "RecordAttemptFailure" as const,
      channelId: "main",
      status: null,
      message: "boom",
      retryAfterMs: null,
      maxAttempts: 3,
      now: 100,
    };
    // A second delivery of the FundsReserved resumed the same try, and its call failed after the first one's was
    // submitted: recorded, it would end the submission (and the job's follow chain) while the upstream job runs on.
    spec
      .given([queued, submitted])
      .when({ ...lostStream, status: 503 })
      .thenNothingHappened();
    spec
      .given([queued, submitted])
      .when({ ...lostStream, upstreamId: "up_other" })
      .thenNothingHappened();
    spec
      .given([queued, submitted])
      .when({ ...lostStream, upstreamId: "up_1" })
      .thenEmits([attemptFailed(1, "main", null)]);
  });

  it("a submit try's failure of the job holds only while no try was submitted; the follow's holds on a submitted job", () => {
    const timedOut = { type: "FailJob" as const, code: "timeout", message: "too long", now: 200 };
    const failed: JobEvent = {
      type: "JobFailed",
      data: { videoId: "video_1", code: "timeout", message: "too long", failedAt: 200 },
    };
    spec
      .given([queued])
      .when({ ...timedOut, unlessSubmitted: true })
      .thenEmits([failed]);
    spec
      .given([queued, submitted])
      .when({ ...timedOut, unlessSubmitted: true })
      .thenNothingHappened();
    spec.given([queued, submitted]).when(timedOut).thenEmits([failed]);
  });

  it("a lost chat stream frees the job for another submission", () => {
    const lost = attemptFailed(1, "main", null);
    const again: JobEvent = {
      type: "JobSubmitted",
      data: { videoId: "video_1", channelId: "b", upstreamId: "up_2", submittedAt: 105 },
    };
    spec
      .given([queued, submitted, lost])
      .when({ type: "RecordSubmission", channelId: "b", upstreamId: "up_2", now: 105 })
      .thenEmits([again]);
  });

  it("an upstream completion after the deadline failed the job is recorded as late, once; after any other failure it is not", () => {
    const timedOut: JobEvent = {
      type: "JobFailed",
      data: { videoId: "video_1", code: "timeout", message: "too long", failedAt: 200 },
    };
    const completed = report({ status: "completed", progress: 100, expiresAt: null });
    const lateEvent = completion({ completedAt: 300 }, "JobCompletedLate");
    spec
      .given([queued, submitted, timedOut])
      .when({ type: "RecordReport", report: completed, now: 300 })
      .thenEmits([lateEvent]);
    spec
      .given([queued, submitted, timedOut, lateEvent])
      .when({ type: "RecordReport", report: completed, now: 301 })
      .thenNothingHappened();
    spec
      .given([queued, submitted, { ...timedOut, data: { ...timedOut.data, code: "cancelled" } }])
      .when({ type: "RecordReport", report: completed, now: 300 })
      .thenNothingHappened();
  });

  it("a chat job completes with its link as what fetches the media", () =>
    spec
      .given([queued, submitted])
      .when({
        type: "RecordReport",
        report: report({ status: "completed", progress: 100, mediaId: "https://cdn.test/v.mp4", variants: ["video"] }),
        now: 120,
      })
      .thenEmits([completion({ upstreamId: "https://cdn.test/v.mp4", variants: ["video"] })]));
});
