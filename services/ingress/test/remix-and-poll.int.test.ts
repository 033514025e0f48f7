import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { form, type Ingress, ingress, KEY, multipartHeaders } from "./harness.ts";
import { completeVideo } from "./support/complete-video.ts";

const auth = { authorization: `Bearer ${KEY}` };

const complete = completeVideo;

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
