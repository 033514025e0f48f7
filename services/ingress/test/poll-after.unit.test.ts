import { describe, expect, it } from "vitest";
import { MAX_POLL_AFTER_MS, MIN_POLL_AFTER_MS, pollAfterMs } from "../src/domain/poll-after.ts";

const NOW = 1_800_000_000_000;
const video = (status: "queued" | "in_progress" | "completed" | "failed", progress: number, ageSeconds: number) => ({
  status,
  progress,
  created_at: NOW / 1000 - ageSeconds,
});

describe("openai-poll-after-ms (issue 13.2)", () => {
  it("is absent once a video is finished", () => {
    expect(pollAfterMs(video("completed", 100, 30), NOW)).toBeUndefined();
    expect(pollAfterMs(video("failed", 10, 30), NOW)).toBeUndefined();
  });

  it("is short while a young video waits to be submitted, and follows the poller's interval after", () => {
    expect(pollAfterMs(video("queued", 0, 1), NOW)).toBe(MIN_POLL_AFTER_MS);
    expect(pollAfterMs(video("queued", 0, 30), NOW)).toBe(2_000);
    expect(pollAfterMs(video("queued", 0, 300), NOW)).toBe(5_000);
  });

  it("is 1 s while the finished job's media is being copied (99%)", () => {
    expect(pollAfterMs(video("in_progress", 99, 200), NOW)).toBe(MIN_POLL_AFTER_MS);
  });

  it("looks again halfway through the time left at the pace so far, never sooner than the poller's next poll, at most 15 s", () => {
    // 20 s for 80%: 5 s left; a second look in 2.5 s.
    expect(pollAfterMs(video("in_progress", 80, 20), NOW)).toBe(2_500);
    // 20 s for 95%: about 1 s left, but the answer cannot change before the poller's next poll (2 s at that age).
    expect(pollAfterMs(video("in_progress", 95, 20), NOW)).toBe(2_000);
    // 4 s for 10% looks like 36 s left, but the age counts time before the upstream began: half the age, 2 s.
    expect(pollAfterMs(video("in_progress", 10, 4), NOW)).toBe(2_000);
    // 10 minutes for 10%: far from done.
    expect(pollAfterMs(video("in_progress", 10, 600), NOW)).toBe(MAX_POLL_AFTER_MS);
    // Little or no progress yet says nothing of the pace: the poller's interval.
    expect(pollAfterMs(video("in_progress", 0, 5), NOW)).toBe(MIN_POLL_AFTER_MS);
    expect(pollAfterMs(video("in_progress", 2, 3), NOW)).toBe(MIN_POLL_AFTER_MS);
    expect(pollAfterMs(video("in_progress", 5, 120), NOW)).toBe(5_000);
  });

  it("is a whole number of milliseconds within its bounds for any progress and age", () => {
    for (let progress = 0; progress < 100; progress += 7)
      for (const age of [0, 3, 9, 11, 59, 61, 599, 601, 7200]) {
        const ms = pollAfterMs(video("in_progress", progress, age), NOW)!;
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(MIN_POLL_AFTER_MS);
        expect(ms).toBeLessThanOrEqual(MAX_POLL_AFTER_MS);
      }
  });
});
