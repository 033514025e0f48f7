import { describe, expect, it } from "vitest";
import { newVideoId } from "../src/ids.ts";

describe("newVideoId", () => {
  it("is video_ and 32 hex digits, ordered by creation time, random within a millisecond", () => {
    const earlier = newVideoId(Date.parse("2026-12-02T16:00:00.000Z"));
    const later = newVideoId(Date.parse("2026-12-02T16:00:00.001Z"));
    expect(earlier).toMatch(/^video_[0-9a-f]{32}$/);
    expect(later).toMatch(/^video_[0-9a-f]{32}$/);
    expect(earlier < later).toBe(true);
    // More than one pool of random bytes (256 ids): none repeats across refills.
    const sameMs = new Set(Array.from({ length: 1000 }, () => newVideoId(1_764_691_200_000)));
    expect(sameMs.size).toBe(1000);
    expect(newVideoId().slice(0, 18) >= earlier.slice(0, 18)).toBe(true);
  });
});
