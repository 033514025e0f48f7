import { describe, expect, it } from "vitest";
import { canDo, capabilities, channelSupports, fromUpload, modelSupports } from "../src/capabilities.ts";
import { providers } from "../src/channels.ts";

describe("capabilities", () => {
  it("names every provider, and only the Sora shapes remix", () => {
    expect(Object.keys(capabilities).sort()).toEqual([...providers].sort());
    expect(providers.filter((provider) => canDo(provider, "remix"))).toEqual(["openai", "azure"]);
    for (const provider of providers) expect(canDo(provider, "text-to-video")).toBe(true);
    // Luma takes an image only as a URL of the caller's own CDN: no input image.
    expect(providers.filter((provider) => !canDo(provider, "image-to-video"))).toEqual(["luma"]);
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

  it("edits and extensions: the Sora shapes from a job or a file; Veo, Kling and Luma extend only their own videos", () => {
    expect(providers.filter((provider) => canDo(provider, "edit"))).toEqual(["openai", "azure", "runway", "luma"]);
    expect(providers.filter((provider) => canDo(provider, "edit", { upload: true }))).toEqual([
      "openai",
      "azure",
      "runway",
    ]);
    expect(providers.filter((provider) => canDo(provider, "extend"))).toEqual([
      "openai",
      "azure",
      "gemini",
      "vertex",
      "kling",
      "luma",
    ]);
    expect(providers.filter((provider) => canDo(provider, "extend", { upload: true }))).toEqual(["openai", "azure"]);
    expect(providers.filter((provider) => canDo(provider, "characters"))).toEqual(["openai", "azure"]);
    // Whatever takes a file also takes a job of its own.
    for (const provider of providers) for (const op of fromUpload[provider]) expect(canDo(provider, op)).toBe(true);
    expect(channelSupports({ provider: "kling", disabled: false }, "extend")).toBe(true);
    expect(channelSupports({ provider: "kling", disabled: true }, "extend")).toBe(false);
    const channels = [{ provider: "kling" as const, models: { k: "kling-v1-6" }, disabled: false }];
    expect(modelSupports(channels, "k", "extend")).toBe(true);
    expect(modelSupports(channels, "k", "extend", { upload: true })).toBe(false);
  });
});
