import type { TypedEnvelope } from "@reelgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyToVideoView } from "../src/domain/video-view.ts";
import { form, type Ingress, ingress, KEY, multipartHeaders } from "./harness.ts";

const auth = { authorization: `Bearer ${KEY}` };

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
const complete = async (api: Ingress, videoId: string) => {
  const events = [
    envelope(videoId, `job-${videoId}`, 2, "JobSubmitted", {
      videoId,
      channelId: "c",
      upstreamId: "u",
      submittedAt: 1,
    }),
    envelope(videoId, `job-${videoId}`, 3, "JobCompleted", {
      videoId,
      channelId: "c",
      upstreamId: "u",
      model: "sora-2",
      seconds: "4",
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

describe("remix in multipart, and openai-poll-after-ms on unfinished videos", () => {
  let api: Ingress;
  let sourceId: string;
  beforeAll(async () => {
    api = await ingress();
    const created = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth,
      payload: { prompt: "source" },
    });
    sourceId = created.json().id;
  });
  afterAll(async () => api.close());

  it("names openai-poll-after-ms on create and on GET while the video is unfinished (issue 13.2)", async () => {
    const created = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth,
      payload: { prompt: "p" },
    });
    expect(created.json().status).toBe("queued");
    expect(Number(created.headers["openai-poll-after-ms"])).toBeGreaterThanOrEqual(1000);
    const retrieved = await api.app.inject({ method: "GET", url: `/v1/videos/${created.json().id}`, headers: auth });
    expect(Number(retrieved.headers["openai-poll-after-ms"])).toBeGreaterThanOrEqual(1000);
  });

  it("remixes a completed video from multipart/form-data (issue 13.3); the finished source has no poll-after", async () => {
    await complete(api, sourceId);
    const source = await api.app.inject({ method: "GET", url: `/v1/videos/${sourceId}`, headers: auth });
    expect(source.json().status).toBe("completed");
    expect(source.headers["openai-poll-after-ms"]).toBeUndefined();

    const before = await api.recorded();
    const remix = await api.app.inject({
      method: "POST",
      url: `/v1/videos/${sourceId}/remix`,
      headers: { ...auth, ...multipartHeaders },
      payload: form([{ name: "prompt", value: "the same, at night" }]),
    });
    expect(remix.statusCode).toBe(200);
    expect(remix.json()).toMatchObject({
      object: "video",
      status: "queued",
      prompt: "the same, at night",
      remixed_from_video_id: sourceId,
    });
    expect(Number(remix.headers["openai-poll-after-ms"])).toBeGreaterThanOrEqual(1000);
    expect(await api.recorded()).toBe(before + 1);
  });

  it("refuses a multipart remix without a prompt, with a file, or with unknown fields; nothing recorded", async () => {
    const before = await api.recorded();
    const cases: Array<[Parameters<typeof form>[0], string, string]> = [
      [[{ name: "model", value: "sora-2" }], "missing_required_parameter", "prompt"],
      [
        [
          { name: "prompt", value: "x" },
          { name: "video", value: Buffer.from("bytes"), filename: "v.mp4" },
        ],
        "unexpected_file",
        "video",
      ],
      [
        [
          { name: "prompt", value: "x" },
          { name: "input_reference", value: "https://example.com/a.png" },
        ],
        "unknown_parameter",
        "input_reference",
      ],
    ];
    for (const [parts, code, param] of cases) {
      const response = await api.app.inject({
        method: "POST",
        url: `/v1/videos/${sourceId}/remix`,
        headers: { ...auth, ...multipartHeaders },
        payload: form(parts),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code, param });
    }
    expect(await api.recorded()).toBe(before);
  });

  it("still remixes from JSON", async () => {
    const remix = await api.app.inject({
      method: "POST",
      url: `/v1/videos/${sourceId}/remix`,
      headers: auth,
      payload: { prompt: "json remix" },
    });
    expect(remix.statusCode).toBe(200);
    expect(remix.json().remixed_from_video_id).toBe(sourceId);
  });
});
