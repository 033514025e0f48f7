import { describe, expect, it } from "vitest";
import {
  aspectRatioOf,
  dataUrlOf,
  imageModelFor,
  klingModeOf,
  mapRequest,
  resolutionOf,
  sizeFrom,
  upstreamModelOf,
  upstreamModelsOf,
  videoModelFor,
} from "../src/mapping.ts";

describe("the size mapping of SPEC §3", () => {
  it.each([
    ["1920x1080", "16:9", "1080p", "pro"],
    ["1080x1920", "9:16", "1080p", "pro"],
    ["1280x720", "16:9", "720p", "std"],
    ["720x1280", "9:16", "720p", "std"],
    ["1024x1024", "1:1", "1024p", "std"],
  ])("%s → ratio %s, resolution %s, Kling mode %s", (size, ratio, resolution, mode) => {
    expect(aspectRatioOf(size)).toBe(ratio);
    expect(resolutionOf(size)).toBe(resolution);
    expect(klingModeOf(size)).toBe(mode);
  });

  it("writes each provider's fields as its documentation does", () => {
    expect(mapRequest({ size: "1920x1080", seconds: "8" })).toEqual({
      gemini: { aspectRatio: "16:9", resolution: "1080p", durationSeconds: 8 },
      kling: { aspect_ratio: "16:9", mode: "pro", duration: "8" },
      dashscope: { text: { size: "1920*1080", duration: 8 }, image: { resolution: "1080P", duration: 8 } },
      ark: { resolution: "1080p", ratio: "16:9", duration: 8 },
      runway: { ratio: "1920:1080", duration: 8 },
      luma: { aspect_ratio: "16:9", resolution: "1080p", duration: "8s" },
      minimax: { resolution: "1080P", duration: 8 },
    });
    expect(mapRequest({ size: "1366x768", seconds: "6" }).minimax).toEqual({ resolution: "768P", duration: 6 });
  });

  it("refuses what is not WxH", () => {
    expect(() => aspectRatioOf("1080p")).toThrow(/WIDTHxHEIGHT/);
  });

  it("maps a ratio and resolution back to the public size", () => {
    expect(sizeFrom("16:9", "1080p", "x")).toBe("1920x1080");
    expect(sizeFrom("9:16", "720p", "x")).toBe("720x1280");
    expect(sizeFrom("?", "720p", "1280x720")).toBe("1280x720");
  });
});

describe("models and images", () => {
  const models = {
    "wan2.5": { text: "wan2.5-t2v-preview", image: "wan2.5-i2v-preview" },
    veo: "veo-3.1-generate-preview",
  };
  it("picks the text or image model of the {text, image} form, and the one name otherwise", () => {
    expect(upstreamModelOf(models, "wan2.5", false)).toBe("wan2.5-t2v-preview");
    expect(upstreamModelOf(models, "wan2.5", true)).toBe("wan2.5-i2v-preview");
    expect(upstreamModelOf(models, "veo", true)).toBe("veo-3.1-generate-preview");
    expect(imageModelFor(models, "wan2.5-t2v-preview")).toBe("wan2.5-i2v-preview");
    expect(imageModelFor(models, "veo-3.1-generate-preview")).toBeUndefined();
  });
  it("names the edit model of the {text, image, video} form (Runway's video_to_video), none otherwise", () => {
    const runway = { gen: { text: "gen4.5", image: "gen4_turbo", video: "aleph2" }, veo: "veo3.1" };
    expect(videoModelFor(runway, "gen4.5")).toBe("aleph2");
    expect(videoModelFor(runway, "gen4_turbo")).toBe("aleph2");
    expect(videoModelFor(runway, "veo3.1")).toBeUndefined();
    expect(upstreamModelsOf(runway)).toEqual(["gen4.5", "gen4_turbo", "aleph2", "veo3.1"]);
  });
  it("inlines an image as a data URL", () => {
    expect(dataUrlOf(Buffer.from("abc"), "image/png")).toBe("data:image/png;base64,YWJj");
  });
});
