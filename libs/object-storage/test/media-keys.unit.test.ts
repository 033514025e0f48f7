import { describe, expect, it } from "vitest";
import { inputImageKey, mediaKey, mediaPrefix, videoFoldersOf } from "../src/media-keys.ts";

describe("media keys", () => {
  const at = new Date(Date.UTC(2026, 2, 5, 23, 59));

  it("keys media as SPEC.md §5 says, by the UTC month", () => {
    expect(mediaKey({ accountId: "acct_1", videoId: "video_1", variant: "video", extension: "mp4", at })).toBe(
      "videos/acct_1/2026/03/video_1/video.mp4",
    );
    expect(mediaPrefix({ accountId: "acct_1", videoId: "video_1", at })).toBe("videos/acct_1/2026/03/video_1/");
  });

  it("keys an input image under inputs/, its extension from its content type", () => {
    expect(inputImageKey({ accountId: "acct_1", videoId: "video_1", at, contentType: "image/png" })).toBe(
      "inputs/acct_1/2026/03/video_1.png",
    );
  });

  it("cleans by folder only the videos' own folders, never the shared folder of input images", () => {
    expect(
      videoFoldersOf([
        "videos/acct_1/2026/03/video_1/video.mp4",
        "videos/acct_1/2026/03/video_1/thumbnail.png",
        inputImageKey({ accountId: "acct_1", videoId: "video_1", at, contentType: "image/png" }),
      ]),
    ).toEqual(["videos/acct_1/2026/03/video_1/"]);
  });
});
