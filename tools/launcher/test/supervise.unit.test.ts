import { describe, expect, it } from "vitest";
import { decideRestart, defaultRestartPolicy, describeExit } from "../src/supervise.ts";

const policy = { initialDelayMs: 500, maxDelayMs: 4_000, maxCrashes: 5, windowMs: 60_000 };

describe("decideRestart", () => {
  it("doubles the wait with each crash in the window, up to the cap", () => {
    const now = 1_000_000;
    const delays = [1, 2, 3, 4].map((n) => decideRestart(Array(n).fill(now), now, { ...policy, maxCrashes: 9 }));
    expect(delays.map((d) => (d.kind === "restart" ? d.delayMs : -1))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(decideRestart(Array(8).fill(now), now, { ...policy, maxCrashes: 9 })).toMatchObject({ delayMs: 4_000 });
  });

  it("gives up at the fifth crash within 60 s, but not when the crashes are spread out", () => {
    const now = 1_000_000;
    expect(decideRestart([now - 50_000, now - 40_000, now - 30_000, now - 1, now], now, policy)).toEqual({
      kind: "give-up",
      recent: 5,
    });
    const spread = [now - 240_000, now - 180_000, now - 120_000, now - 61_000, now];
    expect(decideRestart(spread, now, policy)).toEqual({ kind: "restart", delayMs: 500, recent: 1 });
  });

  it("has defaults of 5 crashes within 60 s", () => {
    expect(defaultRestartPolicy).toMatchObject({ maxCrashes: 5, windowMs: 60_000 });
  });

  it("describes an exit by its signal, else its code", () => {
    expect(describeExit({ code: null, signal: "SIGKILL" })).toBe("signal SIGKILL");
    expect(describeExit({ code: 1, signal: null })).toBe("code 1");
  });
});
