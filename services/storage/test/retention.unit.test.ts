import type { Envelope } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import {
  applyToRetentionIndex,
  dueForDeletion,
  type RetentionIndex,
  sweepIntervalMs,
} from "../src/domain/retention.ts";

let version = 0;
const event = (type: string, videoId: string, occurredAt: string): Envelope => ({
  id: `evt_${++version}`,
  type,
  schemaVersion: 1,
  stream: `asset-${videoId}`,
  version,
  occurredAt,
  correlationId: videoId,
  causationId: null,
  accountId: "acct_1",
  data: {},
});

const indexOf = (events: Envelope[]) => {
  const index: RetentionIndex = new Map();
  for (const each of events) applyToRetentionIndex(index, each);
  return index;
};

describe("media retention", () => {
  const index = indexOf([
    event("InputImageNoted", "video_old", "2026-01-01T00:00:00Z"),
    event("MediaStored", "video_old", "2026-01-01T00:05:00Z"),
    event("MediaStored", "video_new", "2026-01-20T00:00:00Z"),
    event("MediaStored", "video_gone", "2025-12-01T00:00:00Z"),
    event("MediaDeleted", "video_gone", "2025-12-02T00:00:00Z"),
    event("MediaStorageFailed", "video_failed", "2025-12-01T00:00:00Z"),
  ]);

  it("counts a video's age from its first stored object", () => {
    expect(index.get("video_old")?.since).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("deletes what is older than the retention, oldest first, and nothing already deleted or never stored", () => {
    expect(dueForDeletion(index, Date.parse("2026-01-10T00:00:00Z"))).toEqual([
      { videoId: "video_old", accountId: "acct_1" },
    ]);
    expect(dueForDeletion(index, Date.parse("2026-02-01T00:00:00Z")).map((due) => due.videoId)).toEqual([
      "video_old",
      "video_new",
    ]);
    expect(dueForDeletion(index, Date.parse("2025-12-31T00:00:00Z"))).toEqual([]);
  });

  it("looks often enough that media outlives its retention by a quarter at most, and at most hourly", () => {
    expect(sweepIntervalMs(30 * 86_400_000)).toBe(3_600_000);
    expect(sweepIntervalMs(8_000)).toBe(2_000);
    expect(sweepIntervalMs(100)).toBe(1_000);
  });
});
