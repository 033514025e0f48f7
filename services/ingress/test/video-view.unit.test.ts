import type { TypedEnvelope } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import { toVideoObject } from "../src/domain/video-object.ts";
import { applyToVideoView, type VideoView } from "../src/domain/video-view.ts";

const videoId = "video_1";
let n = 0;
const envelope = (stream: string, version: number, type: string, data: object): TypedEnvelope =>
  ({
    id: `evt_${++n}`,
    type,
    schemaVersion: 1,
    stream,
    version,
    occurredAt: "2026-01-01T00:00:00Z",
    correlationId: videoId,
    causationId: null,
    accountId: "acct_1",
    data,
  }) as TypedEnvelope;

const requested = envelope(`task-${videoId}`, 1, "VideoRequested", {
  videoId,
  accountId: "acct_1",
  model: "sora-2",
  seconds: "4",
  size: "720x1280",
  prompt: "a cat",
  quoteMicros: 400_000,
  remixedFromVideoId: null,
  inputReference: null,
  createdAt: 1_700_000_000,
});
const history: TypedEnvelope[] = [
  requested,
  envelope("account-acct_1", 3, "FundsReserved", {
    videoId,
    amountMicros: 400_000,
    balanceMicros: 1_000_000,
    reservedMicros: 400_000,
  }),
  envelope(`job-${videoId}`, 2, "JobSubmitted", { videoId, channelId: "c", upstreamId: "u", submittedAt: 1 }),
  envelope(`job-${videoId}`, 3, "JobProgressed", { videoId, progress: 40 }),
  envelope(`job-${videoId}`, 4, "JobCompleted", {
    videoId,
    channelId: "c",
    upstreamId: "u",
    model: "sora-2",
    seconds: "4",
    size: "720x1280",
    variants: ["video"],
    completedAt: 1_700_000_100,
    expiresAt: null,
  }),
  envelope("account-acct_1", 7, "ReservationCaptured", {
    videoId,
    quotedMicros: 400_000,
    amountMicros: 400_000,
    model: "sora-2",
    seconds: "4",
    size: "720x1280",
    balanceMicros: 600_000,
    reservedMicros: 0,
  }),
  envelope(`asset-${videoId}`, 1, "MediaStored", {
    videoId,
    variant: "video",
    key: "k",
    bytes: 10,
    sha256: "a".repeat(64),
    contentType: "video/mp4",
  }),
];

const project = (events: TypedEnvelope[]) => {
  // VideoRequested is written inline at create, so it always comes first; the rest may come in any order.
  let view: VideoView | undefined;
  for (const event of events) view = applyToVideoView(view, event) ?? view;
  return view;
};

const permutations = <T>(items: T[]): T[][] =>
  items.length <= 1
    ? [items]
    : items.flatMap((item, i) =>
        permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
      );

describe("task read model", () => {
  it("ends completed with the stored media, whatever order the other streams' events arrive in", () => {
    const inOrder = project(history);
    expect(toVideoObject(inOrder!)).toMatchObject({ status: "completed", progress: 100, completed_at: 1_700_000_100 });
    for (const order of permutations(history.slice(1))) {
      expect(project([requested, ...order])).toEqual(inOrder);
    }
  });

  it("ignores a redelivered older event", () => {
    const done = project(history)!;
    expect(applyToVideoView(done, history[3]!)).toBeUndefined();
  });

  it("shows in_progress at 99 while the media is being copied", () => {
    const view = project(history.slice(0, 5))!;
    expect(toVideoObject(view)).toMatchObject({ status: "in_progress", progress: 99 });
  });

  it("is failed with the upstream's reason when the job failed", () => {
    const failed = envelope(`job-${videoId}`, 3, "JobFailed", {
      videoId,
      code: "content_policy_violation",
      message: "no",
      failedAt: 2,
    });
    expect(toVideoObject(project([requested, history[2]!, failed])!)).toMatchObject({
      status: "failed",
      error: { code: "content_policy_violation", message: "no" },
    });
  });

  it("becomes completed when the upstream finishes after the poller gave up", () => {
    const timedOut = envelope(`job-${videoId}`, 3, "JobFailed", {
      videoId,
      code: "timeout",
      message: "late",
      failedAt: 2,
    });
    const late = envelope(`job-${videoId}`, 4, "JobCompletedLate", {
      videoId,
      channelId: "c",
      upstreamId: "u",
      model: "sora-2",
      seconds: "4",
      size: "720x1280",
      variants: ["video"],
      completedAt: 1_700_000_900,
      expiresAt: null,
    });
    const stored = history.at(-1)!;
    for (const order of permutations([timedOut, late, stored])) {
      expect(toVideoObject(project([requested, history[2]!, ...order])!)).toMatchObject({
        status: "completed",
        error: null,
        completed_at: 1_700_000_900,
      });
    }
  });

  it("is queued until the job is submitted, with the quote pending until billing answers", () => {
    const view = project([requested])!;
    expect(toVideoObject(view)).toMatchObject({ status: "queued", progress: 0, seconds: "4", error: null });
    expect(view.pendingQuoteMicros).toBe(400_000);
    expect(project(history.slice(0, 2))!.pendingQuoteMicros).toBeNull();
  });

  describe("when the media counts as settled", () => {
    const completed = history[4]!;
    const assetEvent = (version: number, type: string, data: object) =>
      envelope(`asset-${videoId}`, version, type, { videoId, ...data });
    const thumbnail = assetEvent(1, "MediaStored", {
      variant: "thumbnail",
      key: "t",
      bytes: 5,
      sha256: "b".repeat(64),
      contentType: "image/png",
    });
    const retained = assetEvent(2, "MediaDeleted", { keys: ["t"], reason: "retention: settled more than 1 days ago" });
    const videoFailed = assetEvent(2, "MediaStorageFailed", {
      variant: "video",
      reason: "broken",
      fallback: { channelId: "c", upstreamId: "u", expiresAt: null },
    });
    const statusAfter = (events: TypedEnvelope[]) => toVideoObject(project([requested, ...events])!);

    it("a thumbnail stored while the video is pending does not settle it: in_progress at 99", () => {
      expect(statusAfter([history[2]!, completed, thumbnail])).toMatchObject({ status: "in_progress", progress: 99 });
    });

    it("a video copy that failed for good settles it: completed, the upstream link standing in", () => {
      expect(statusAfter([history[2]!, completed, thumbnail, videoFailed])).toMatchObject({
        status: "completed",
        progress: 100,
      });
    });

    it("media deleted before the video was stored settles it: completed (its content is gone), in any order", () => {
      for (const order of permutations([history[2]!, completed, thumbnail, retained])) {
        expect(statusAfter(order)).toMatchObject({ status: "completed", progress: 100, error: null });
        expect(project([requested, ...order])!.mediaDeleted).toMatchObject({ reason: /^retention/ });
      }
    });

    it("media deleted does not complete a job that has not completed", () => {
      expect(statusAfter([history[2]!, retained])).toMatchObject({ status: "in_progress" });
    });
  });
});
