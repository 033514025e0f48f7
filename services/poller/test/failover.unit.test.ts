import type { Channel } from "@reelgate/upstream";
import { describe, expect, it } from "vitest";
import { backoffMs, planSubmit, requestIsWrong } from "../src/domain/failover.ts";
import type { FailedAttempt } from "../src/domain/job.ts";
import { rankChannels } from "../src/domain/pick-channel.ts";

const channel = (id: string, overrides: Partial<Channel> = {}): Channel => ({
  id,
  provider: "openai",
  base_url: "http://upstream.test/v1",
  api_key: "k",
  models: { "sora-2": "sora-2" },
  priority: 0,
  weight: 1,
  timeout_seconds: 30,
  disabled: false,
  ...overrides,
});
const a = channel("a", { priority: 0 });
const b = channel("b", { priority: 1 });
const NOW = 1_000_000_000;
const failed = (channelId: string, atMs: number, retryAfterMs: number | null = null): FailedAttempt => ({
  videoId: "video_1",
  channelId,
  attempt: 1,
  status: 500,
  message: "boom",
  retryAfterMs,
  failedAt: Math.floor(atMs / 1000),
});
const ids = (plan: ReturnType<typeof planSubmit>) => (plan.kind === "try" ? plan.channels.map((c) => c.id) : plan);

describe("planSubmit", () => {
  it("tries the lowest priority first, the next channel at once after a failure", () => {
    expect(ids(planSubmit({ eligible: [b, a], attempts: [], now: NOW, random: () => 0 }))).toEqual(["a", "b"]);
    expect(ids(planSubmit({ eligible: [a, b], attempts: [failed("a", NOW)], now: NOW, random: () => 0 }))).toEqual([
      "b",
    ]);
  });

  it("backs off once every channel failed, then starts again from the top", () => {
    const attempts = [failed("a", NOW - 10), failed("b", NOW - 10)];
    const plan = planSubmit({ eligible: [a, b], attempts, now: NOW, random: () => 0 });
    expect(plan.kind).toBe("wait");
    expect(ids(planSubmit({ eligible: [a, b], attempts, now: NOW + 2_000, random: () => 0 }))).toEqual(["a", "b"]);
    expect(backoffMs(1)).toBeLessThan(backoffMs(3));
    expect(backoffMs(30)).toBe(30_000);
  });

  it("never calls a channel before its Retry-After or its shared cool-down", () => {
    const attempts = [failed("a", NOW, 20_000)];
    const single = planSubmit({ eligible: [a], attempts, now: NOW + 5_000, random: () => 0 });
    expect(single).toEqual({ kind: "wait", ms: expect.any(Number) });
    expect((single as { ms: number }).ms).toBeGreaterThanOrEqual(15_000);
    const cooled = planSubmit({
      eligible: [a, b],
      attempts: [],
      now: NOW,
      random: () => 0,
      coolDownUntil: (id) => (id === "a" ? NOW + 9_000 : 0),
    });
    expect(ids(cooled)).toEqual(["b"]);
  });
});

describe("rankChannels", () => {
  it("orders by priority, and within one by weight, every channel once", () => {
    const heavy = channel("heavy", { weight: 9 });
    const light = channel("light", { weight: 1 });
    const later = channel("later", { priority: 3 });
    expect(rankChannels([later, light, heavy], () => 0.5).map((c) => c.id)).toEqual(["heavy", "light", "later"]);
    expect(rankChannels([later, light, heavy], () => 0.05).map((c) => c.id)).toEqual(["light", "heavy", "later"]);
  });
});

describe("requestIsWrong", () => {
  it("says the request is wrong for 400/413/415/422, not for the channel's own trouble", () => {
    expect([400, 413, 415, 422].map(requestIsWrong)).toEqual([true, true, true, true]);
    expect([401, 403, 404, 408, 429, 500, 503, undefined].map(requestIsWrong)).toEqual(Array(8).fill(false));
  });
});
