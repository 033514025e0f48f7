import { describe, expect, it } from "vitest";
import { type Job, statsAt, statusAt } from "../src/jobs.ts";

const job = (overrides: Partial<Job> = {}): Job => ({
  id: "sim_1",
  model: "sora-2",
  prompt: "a lighthouse",
  seconds: "4",
  size: "720x1280",
  createdAtMs: 10_000,
  durationMs: 1000,
  fails: false,
  remixedFromVideoId: null,
  videoBytes: undefined,
  ...overrides,
});

describe("statusAt: a job's status is a function of the clock", () => {
  it("is queued with no progress for the first fifth of its duration", () => {
    expect(statusAt(job(), 10_000)).toEqual({ status: "queued", progress: 0 });
    expect(statusAt(job(), 10_199)).toEqual({ status: "queued", progress: 0 });
  });

  it("is in progress with progress rising, never reaching 100 before the end", () => {
    const seen = [10_200, 10_400, 10_600, 10_999].map((now) => statusAt(job(), now));
    expect(seen.every((state) => state.status === "in_progress")).toBe(true);
    const progress = seen.map((state) => state.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[0]).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toBe(99);
    expect(statusAt(job(), 10_600).progress).toBe(50);
  });

  it("is completed at 100 from its end on", () => {
    expect(statusAt(job(), 11_000)).toEqual({ status: "completed", progress: 100 });
    expect(statusAt(job(), 99_000)).toEqual({ status: "completed", progress: 100 });
  });

  it("ends failed when the job fails", () => {
    expect(statusAt(job({ fails: true }), 10_500).status).toBe("in_progress");
    expect(statusAt(job({ fails: true }), 11_000).status).toBe("failed");
  });

  it("ends at once with a zero duration", () => {
    expect(statusAt(job({ durationMs: 0 }), 10_000).status).toBe("completed");
  });
});

describe("statsAt", () => {
  it("counts submitted, in flight, the peak overlap, completed and failed", () => {
    const jobs = [
      job({ id: "a", createdAtMs: 0, durationMs: 100 }),
      job({ id: "b", createdAtMs: 50, durationMs: 100, fails: true }),
      job({ id: "c", createdAtMs: 60, durationMs: 100 }),
      job({ id: "d", createdAtMs: 200, durationMs: 100 }),
    ];
    expect(statsAt(jobs, 70)).toEqual({ submitted: 3, inFlight: 3, peakInFlight: 3, completed: 0, failed: 0 });
    expect(statsAt(jobs, 250)).toEqual({ submitted: 4, inFlight: 1, peakInFlight: 3, completed: 2, failed: 1 });
    expect(statsAt(jobs, 1000)).toEqual({ submitted: 4, inFlight: 0, peakInFlight: 3, completed: 3, failed: 1 });
  });

  it("does not count a job that starts as another ends as overlapping it", () => {
    const jobs = [
      job({ id: "a", createdAtMs: 0, durationMs: 100 }),
      job({ id: "b", createdAtMs: 100, durationMs: 100 }),
    ];
    expect(statsAt(jobs, 150).peakInFlight).toBe(1);
  });
});
