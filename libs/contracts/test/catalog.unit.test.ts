import { describe, expect, it } from "vitest";
import { allowedSeconds, allowedSizes, builtInCatalog, extensionSeconds, priceOf } from "../src/index.ts";

describe("built-in catalog", () => {
  it("extensions: Veo adds 7 s to a 720p video and nothing to a 1080p one; Sora's follow its seconds", () => {
    expect(extensionSeconds(builtInCatalog, "veo-3.1", "1280x720")).toEqual(["7"]);
    expect(extensionSeconds(builtInCatalog, "veo-3.1", "1920x1080")).toEqual([]);
    expect(extensionSeconds(builtInCatalog, "sora-2", "720x1280")).toEqual(["4", "8", "12"]);
    const added = { model: "veo-3.1", seconds: "7", size: "720x1280" };
    expect(priceOf(added, builtInCatalog, undefined, { extension: true })).toBe(2_800_000);
    // 7 s is an extension's length only: no create is sold at it.
    expect(priceOf(added, builtInCatalog)).toBeUndefined();
    expect(allowedSeconds(builtInCatalog, "veo-3.1")).not.toContain("7");
  });
  it("prices sora-2 per second", () => {
    expect(priceOf({ model: "sora-2", seconds: "8", size: "720x1280" }, builtInCatalog)).toBe(800_000);
  });
  it("prices sora-2-pro by size tier", () => {
    expect(priceOf({ model: "sora-2-pro", seconds: "4", size: "1280x720" }, builtInCatalog)).toBe(1_200_000);
    expect(priceOf({ model: "sora-2-pro", seconds: "4", size: "1792x1024" }, builtInCatalog)).toBe(2_000_000);
    expect(priceOf({ model: "sora-2-pro", seconds: "12", size: "1920x1080" }, builtInCatalog)).toBe(8_400_000);
  });
  it("prices chat models per request", () => {
    expect(priceOf({ model: "sora_video2-landscape-15s", seconds: "15", size: "1280x704" }, builtInCatalog)).toBe(
      150_000,
    );
  });
  it("offers nothing outside the catalog", () => {
    expect(priceOf({ model: "sora-2", seconds: "5", size: "720x1280" }, builtInCatalog)).toBeUndefined();
    // The providers after Sora, per second by resolution; Veo makes 1080p only at 8 s.
    expect(priceOf({ model: "veo-3.1", seconds: "8", size: "1920x1080" }, builtInCatalog)).toBe(3_200_000);
    expect(priceOf({ model: "veo-3.1", seconds: "4", size: "1920x1080" }, builtInCatalog)).toBeUndefined();
    expect(priceOf({ model: "kling-v2", seconds: "10", size: "1920x1080" }, builtInCatalog)).toBe(1_400_000);
    expect(priceOf({ model: "wan2.5", seconds: "5", size: "1280x720" }, builtInCatalog)).toBe(500_000);
    expect(priceOf({ model: "seedance-1.0-pro", seconds: "5", size: "1920x1080" }, builtInCatalog)).toBe(620_000);
    expect(priceOf({ model: "sora-2", seconds: "4", size: "1792x1024" }, builtInCatalog)).toBeUndefined();
    expect(allowedSeconds(builtInCatalog, "sora-2")).toEqual(["4", "8", "12"]);
    expect(allowedSizes(builtInCatalog, "sora-2-pro")).toHaveLength(6);
  });
});
