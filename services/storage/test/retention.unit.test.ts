import type { Envelope } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import {
  applyToRetentionIndex,
  dueForDeletion,
  type RetentionIndex,
  retentionStart,
  sweepIntervalMs,
} from "../src/domain/retention.ts";

let version = 0;
const event = (type: string, videoId: string, occurredAt: string, data: Record<string, unknown> = {}): Envelope => ({
  id: `evt_${++version}`,
  type,
  schemaVersion: 1,
  stream: `asset-${videoId}`,
  version,
  occurredAt,
  correlationId: videoId,
  causationId: null,
  accountId: "acct_1",
  data: { videoId, ...data },
});
const stored = (videoId: string, variant: string, at: string) => event("MediaStored", videoId, at, { variant });
const failed = (videoId: string, variant: string, at: string) =>
  event("MediaStorageFailed", videoId, at, { variant, reason: "broken", fallback: null });

const indexOf = (events: Envelope[]) => {
  const index: RetentionIndex = new Map();
  for (const each of events) applyToRetentionIndex(index, each);
  return index;
};

const HOUR = 3_600_000;
/** A job deadline of two hours plus a day for late completions. */
const clock = { unsettledGraceMs: 26 * HOUR };
const due = (index: RetentionIndex, cutoff: string) =>
  dueForDeletion(index, Date.parse(cutoff), clock).map((each) => each.videoId);

describe("media retention", () => {
  const index = indexOf([
    event("InputImageNoted", "video_old", "2026-01-01T00:00:00Z", { key: "inputs/x.png" }),
    stored("video_old", "thumbnail", "2026-01-01T00:04:00Z"),
    stored("video_old", "video", "2026-01-01T00:05:00Z"),
    stored("video_new", "video", "2026-01-20T00:00:00Z"),
    stored("video_gone", "video", "2025-12-01T00:00:00Z"),
    event("MediaDeleted", "video_gone", "2025-12-02T00:00:00Z", { keys: [], reason: "owner" }),
    failed("video_failed", "video", "2026-01-05T00:00:00Z"),
  ]);

  it("counts a video's age from when its main video variant settled, not from its input image or a thumbnail", () => {
    expect(retentionStart(index.get("video_old")!, clock)).toBe(Date.parse("2026-01-01T00:05:00Z"));
  });

  it("deletes what is older than the retention, oldest first, a video whose copy failed too, and nothing already deleted", () => {
    expect(dueForDeletion(index, Date.parse("2026-01-10T00:00:00Z"), clock)).toEqual([
      { videoId: "video_old", accountId: "acct_1" },
      { videoId: "video_failed", accountId: "acct_1" },
    ]);
    expect(due(index, "2026-02-01T00:00:00Z")).toEqual(["video_old", "video_failed", "video_new"]);
    expect(due(index, "2025-12-31T00:00:00Z")).toEqual([]);
    expect(due(index, "2026-01-01T00:04:59Z")).toEqual([]);
  });

  it("thumbnail stored, video pending → not due", () => {
    const pending = indexOf([
      stored("video_p", "thumbnail", "2026-01-01T00:00:00Z"),
      stored("video_p", "spritesheet", "2026-01-01T00:00:01Z"),
    ]);
    expect(due(pending, "2030-01-01T00:00:00Z")).toEqual([]);
    // The video settles later: its clock starts then, not at the thumbnail.
    applyToRetentionIndex(pending, stored("video_p", "video", "2026-01-03T00:00:00Z"));
    expect(due(pending, "2026-01-02T23:59:59Z")).toEqual([]);
    expect(due(pending, "2026-01-03T00:00:00Z")).toEqual(["video_p"]);
  });

  it("a video copy that failed for good settles the video and starts the clock", () => {
    const gaveUp = indexOf([
      stored("video_f", "thumbnail", "2026-01-01T00:00:00Z"),
      failed("video_f", "video", "2026-01-01T01:00:00Z"),
    ]);
    expect(due(gaveUp, "2026-01-01T00:59:59Z")).toEqual([]);
    expect(due(gaveUp, "2026-01-01T01:00:00Z")).toEqual(["video_f"]);
  });

  it("an input image alone does not start the clock; a job that never completes keeps it for the deadline and the late window first", () => {
    const running = indexOf([event("InputImageNoted", "video_i", "2026-01-01T00:00:00Z", { key: "inputs/y.png" })]);
    expect(due(running, "2026-01-01T00:00:00Z")).toEqual([]);
    expect(due(running, "2026-01-02T01:59:59Z")).toEqual([]);
    expect(due(running, "2026-01-02T02:00:00Z")).toEqual(["video_i"]);
    // Once the video settles, its own time counts.
    applyToRetentionIndex(running, stored("video_i", "video", "2026-01-01T00:10:00Z"));
    expect(retentionStart(running.get("video_i")!, clock)).toBe(Date.parse("2026-01-01T00:10:00Z"));
  });

  it("the first settling of the video counts; a later record of it does not move the clock", () => {
    const twice = indexOf([
      stored("video_t", "video", "2026-01-01T00:00:00Z"),
      stored("video_t", "video", "2026-01-05T00:00:00Z"),
    ]);
    expect(retentionStart(twice.get("video_t")!, clock)).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("looks often enough that media outlives its retention by a quarter at most, and at most hourly", () => {
    expect(sweepIntervalMs(30 * 86_400_000)).toBe(3_600_000);
    expect(sweepIntervalMs(8_000)).toBe(2_000);
    expect(sweepIntervalMs(100)).toBe(1_000);
  });
});
