import { deciderSpec } from "@reelgate/testkit";
import { describe, it } from "vitest";
import { type AssetEvent, assetAggregate } from "../src/domain/asset.ts";

const spec = deciderSpec(assetAggregate);
const stored: AssetEvent = {
  type: "MediaStored",
  data: {
    videoId: "video_1",
    variant: "video",
    key: "videos/acct_1/2026/03/video_1/video.mp4",
    bytes: 3,
    sha256: "a".repeat(64),
    contentType: "video/mp4",
  },
};
const thumbnailFailed: AssetEvent = {
  type: "MediaStorageFailed",
  data: {
    videoId: "video_1",
    variant: "thumbnail",
    reason: "404",
    fallback: { channelId: "main", upstreamId: "up_1", expiresAt: 1_800_000_000 },
  },
};
const inputNoted: AssetEvent = {
  type: "InputImageNoted",
  data: { videoId: "video_1", accountId: "acct_1", key: "inputs/acct_1/2026/03/video_1.png" },
};
const deleted: AssetEvent = {
  type: "MediaDeleted",
  data: {
    videoId: "video_1",
    keys: ["videos/acct_1/2026/03/video_1/video.mp4", "inputs/acct_1/2026/03/video_1.png"],
    reason: "deleted by its owner",
  },
};

describe("asset decider", () => {
  it("records a stored variant once", () => {
    spec
      .given([])
      .when({ type: "RecordStored", videoId: "video_1", stored: [stored.data] })
      .thenEmits([stored]);
    spec
      .given([stored])
      .when({ type: "RecordStored", videoId: "video_1", stored: [stored.data] })
      .thenNothingHappened();
  });

  it("records variants copied together in one decision, each once, skipping those already settled", () => {
    const thumbnail = {
      ...stored.data,
      variant: "thumbnail" as const,
      key: "videos/acct_1/2026/03/video_1/thumbnail.webp",
      contentType: "image/webp",
    };
    const spritesheet = {
      ...stored.data,
      variant: "spritesheet" as const,
      key: "videos/acct_1/2026/03/video_1/spritesheet.jpg",
      contentType: "image/jpeg",
    };
    spec
      .given([stored])
      .when({ type: "RecordStored", videoId: "video_1", stored: [thumbnail, spritesheet, stored.data] })
      .thenEmits([
        { type: "MediaStored", data: thumbnail },
        { type: "MediaStored", data: spritesheet },
      ]);
    spec
      .given([thumbnailFailed])
      .when({ type: "RecordStored", videoId: "video_1", stored: [thumbnail, spritesheet, spritesheet] })
      .thenEmits([{ type: "MediaStored", data: spritesheet }]);
  });

  it("records a failed copy with its fallback, and never both outcomes for one variant", () => {
    spec
      .given([])
      .when({ type: "RecordStorageFailure", ...thumbnailFailed.data })
      .thenEmits([thumbnailFailed]);
    spec
      .given([stored])
      .when({ type: "RecordStorageFailure", ...thumbnailFailed.data, variant: "video" })
      .thenNothingHappened();
  });

  it("notes the input image once", () => {
    spec
      .given([])
      .when({ type: "NoteInputImage", ...inputNoted.data })
      .thenEmits([inputNoted]);
    spec
      .given([inputNoted])
      .when({ type: "NoteInputImage", ...inputNoted.data })
      .thenNothingHappened();
  });

  it("deletes every object it knows of (media and input image), once", () => {
    spec
      .given([stored, thumbnailFailed, inputNoted])
      .when({ type: "DeleteMedia", videoId: "video_1", reason: "deleted by its owner" })
      .thenEmits([deleted]);
    spec
      .given([stored, inputNoted, deleted])
      .when({ type: "DeleteMedia", videoId: "video_1", reason: "retention" })
      .thenNothingHappened();
  });

  it("records a delete even before anything was stored", () => {
    spec
      .given([])
      .when({ type: "DeleteMedia", videoId: "video_1", reason: "deleted by its owner" })
      .thenEmits([{ type: "MediaDeleted", data: { videoId: "video_1", keys: [], reason: "deleted by its owner" } }]);
  });

  it("stores and notes nothing for a deleted video", () => {
    spec
      .given([deleted])
      .when({ type: "RecordStored", videoId: "video_1", stored: [stored.data] })
      .thenNothingHappened();
    spec
      .given([deleted])
      .when({ type: "RecordStorageFailure", ...thumbnailFailed.data })
      .thenNothingHappened();
    spec
      .given([deleted])
      .when({ type: "NoteInputImage", ...inputNoted.data })
      .thenNothingHappened();
  });
});
