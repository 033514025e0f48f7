import type { Channel } from "@reelgate/upstream";
import { describe, expect, it } from "vitest";
import { pickChannel } from "../src/domain/pick-channel.ts";

const channel = (id: string, overrides: Partial<Channel> = {}): Channel => ({
  id,
  provider: "openai",
  base_url: "http://upstream.test/v1",
  api_key: "k",
  models: { "sora-2": "sora-2" },
  priority: 0,
  weight: 1,
  max_concurrent: 8,
  timeout_seconds: 30,
  disabled: false,
  ...overrides,
});

describe("pickChannel", () => {
  it("takes the lowest priority that maps the model", () => {
    const channels = [
      channel("late", { priority: 5 }),
      channel("early", { priority: 1 }),
      channel("other", { priority: 0, models: { x: "x" } }),
    ];
    expect(pickChannel(channels, "sora-2", 0.99)?.id).toBe("early");
  });

  it("shares one priority by weight", () => {
    const channels = [channel("a", { weight: 1 }), channel("b", { weight: 3 })];
    expect(pickChannel(channels, "sora-2", 0.2)?.id).toBe("a");
    expect(pickChannel(channels, "sora-2", 0.3)?.id).toBe("b");
    expect(pickChannel(channels, "sora-2", 0.99)?.id).toBe("b");
  });

  it("skips disabled and excluded channels, and answers undefined when none is left", () => {
    const channels = [channel("a", { disabled: true }), channel("b")];
    expect(pickChannel(channels, "sora-2", 0)?.id).toBe("b");
    expect(pickChannel(channels, "sora-2", 0, new Set(["b"]))).toBeUndefined();
  });
});
