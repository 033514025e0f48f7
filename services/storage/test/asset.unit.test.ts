import { deciderSpec } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { type AssetEvent, assetAggregate, mediaKey } from "../src/domain/asset.ts";

const spec = deciderSpec(assetAggregate);
const stored: AssetEvent = {
  type: "MediaStored",
  data: { videoId: "video_1", variant: "video", key: "k", bytes: 3, sha256: "a".repeat(64), contentType: "video/mp4" },
};

describe("asset decider", () => {
  it("records a stored variant once", () => {
    spec
      .given([])
      .when({ type: "RecordStored", ...stored.data })
      .thenEmits([stored]);
    spec
      .given([stored])
      .when({ type: "RecordStored", ...stored.data })
      .thenNothingHappened();
  });

  it("records a failed copy, and never both outcomes for one variant", () => {
    spec
      .given([])
      .when({ type: "RecordStorageFailure", videoId: "video_1", variant: "thumbnail", reason: "404" })
      .thenEmits([{ type: "MediaStorageFailed", data: { videoId: "video_1", variant: "thumbnail", reason: "404" } }]);
    spec
      .given([stored])
      .when({ type: "RecordStorageFailure", videoId: "video_1", variant: "video", reason: "late" })
      .thenNothingHappened();
  });

  it("keys media as SPEC.md §5 says", () => {
    const at = new Date(Date.UTC(2026, 2, 5));
    expect(mediaKey({ accountId: "acct_1", videoId: "video_1", variant: "video", extension: "mp4", at })).toBe(
      "videos/acct_1/2026/03/video_1/video.mp4",
    );
  });
});
