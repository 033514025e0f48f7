import { describe, expect, it } from "vitest";
import { canDo, capabilities, modelSupports } from "../src/capabilities.ts";
import { providers } from "../src/channels.ts";

describe("capabilities", () => {
  it("names every provider, and only the Sora shapes remix", () => {
    expect(Object.keys(capabilities).sort()).toEqual([...providers].sort());
    expect(providers.filter((provider) => canDo(provider, "remix"))).toEqual(["openai", "azure"]);
    for (const provider of providers) expect(canDo(provider, "text-to-video")).toBe(true);
  });

  it("a model supports an operation when one enabled channel serving it can do it", () => {
    const channels = [
      { provider: "gemini" as const, models: { "veo-3.1": "veo-3.1-generate-preview" }, disabled: false },
      { provider: "openai" as const, models: { "veo-3.1": "veo-3.1" }, disabled: true },
      { provider: "openai" as const, models: { "sora-2": "sora-2" }, disabled: false },
    ];
    expect(modelSupports(channels, "veo-3.1", "remix")).toBe(false);
    expect(modelSupports(channels, "veo-3.1", "image-to-video")).toBe(true);
    expect(modelSupports(channels, "sora-2", "remix")).toBe(true);
    // A model no channel serves is not refused here: the poller fails it as no channel could take it.
    expect(modelSupports(channels, "unknown", "remix")).toBe(true);
  });
});
