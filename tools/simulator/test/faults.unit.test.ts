import { describe, expect, it } from "vitest";
import { createFaults } from "../src/faults.ts";

describe("faults", () => {
  it("fault exactly `count` submits, then none", () => {
    const faults = createFaults({ jobDurationMs: 3000 });
    faults.set({ submit: { status: 429, count: 2 } });
    expect([faults.takeSubmitFault()?.status, faults.takeSubmitFault()?.status, faults.takeSubmitFault()]).toEqual([
      429,
      429,
      undefined,
    ]);
  });

  it("fault every submit when no count is given, until reset", () => {
    const faults = createFaults({ jobDurationMs: 3000 });
    faults.set({ submit: { status: 500 } });
    for (let i = 0; i < 5; i++) expect(faults.takeSubmitFault()?.status).toBe(500);
    faults.reset();
    expect(faults.takeSubmitFault()).toBeUndefined();
  });

  it("replace only the keys given, and fall back to the defaults", () => {
    const faults = createFaults({ jobDurationMs: 3000, videoBytes: undefined });
    faults.set({ latencyMs: 20 });
    faults.set({ jobDurationMs: 50 });
    expect([faults.latencyMs(), faults.jobDurationMs(), faults.videoBytes()]).toEqual([20, 50, undefined]);
    faults.reset();
    expect([faults.latencyMs(), faults.jobDurationMs()]).toEqual([0, 3000]);
  });
});
