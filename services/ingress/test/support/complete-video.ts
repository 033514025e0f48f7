import type { TypedEnvelope } from "@reelgate/contracts";
import { applyToVideoView } from "../../src/views/video-view.ts";
import type { Views } from "../../src/views/views.ts";

let n = 0;
const envelope = (videoId: string, stream: string, version: number, type: string, data: object) =>
  ({
    id: `evt_t${++n}`,
    type,
    schemaVersion: 1,
    stream,
    version,
    occurredAt: new Date().toISOString(),
    correlationId: videoId,
    causationId: null,
    accountId: "acct_1",
    data,
  }) as TypedEnvelope;

/** Brings a created video's view to `completed`, as the projection would from the other services' events. */
export const completeVideo = async (
  api: { views: Views },
  videoId: string,
  { channelId = "c", seconds = "4" }: { channelId?: string; seconds?: string } = {},
) => {
  const events = [
    envelope(videoId, `job-${videoId}`, 2, "JobSubmitted", { videoId, channelId, upstreamId: "u", submittedAt: 1 }),
    envelope(videoId, `job-${videoId}`, 3, "JobCompleted", {
      videoId,
      channelId,
      upstreamId: "u",
      model: "sora-2",
      seconds,
      size: "720x1280",
      variants: ["video"],
      completedAt: Math.floor(Date.now() / 1000),
      expiresAt: null,
    }),
    envelope(videoId, `asset-${videoId}`, 1, "MediaStored", {
      videoId,
      variant: "video",
      key: "k",
      bytes: 10,
      sha256: "a".repeat(64),
      contentType: "video/mp4",
    }),
  ];
  for (const event of events) await api.views.videos.update(videoId, (view) => applyToVideoView(view, event));
};
