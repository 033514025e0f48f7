import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildSimulator } from "../src/app.ts";
import { mp4Bytes } from "../src/media/mp4.ts";
import { AUTH, createVideo, fakeClock, waitFor } from "./helpers.ts";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

describe("the openai provider shape", () => {
  it("creates a queued video object from a multipart request", async () => {
    app = await buildSimulator();
    const created = await createVideo(app, { model: "sora-2", prompt: "a lighthouse", seconds: "8", size: "1280x720" });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toEqual({
      id: expect.stringMatching(/^sim_[0-9a-f]+$/),
      object: "video",
      model: "sora-2",
      status: "queued",
      progress: 0,
      created_at: expect.any(Number),
      completed_at: null,
      expires_at: null,
      seconds: "8",
      size: "1280x720",
      prompt: "a lighthouse",
      error: null,
      remixed_from_video_id: null,
    });
  });

  it("accepts JSON too", async () => {
    app = await buildSimulator();
    const created = await app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: AUTH,
      payload: { prompt: "json", seconds: 4 },
    });
    expect(created.json()).toMatchObject({ status: "queued", prompt: "json", seconds: "4", model: "sora-2" });
  });

  it("advances queued → in_progress → completed with the (fake) clock", async () => {
    const clock = fakeClock();
    app = await buildSimulator({ now: clock.now, jobDurationMs: 10_000 });
    const { id } = (await createVideo(app, { prompt: "a lighthouse" })).json();
    const poll = async () => (await app.inject({ method: "GET", url: `/v1/videos/${id}`, headers: AUTH })).json();
    expect(await poll()).toMatchObject({ status: "queued", progress: 0 });
    clock.advance(6000);
    expect(await poll()).toMatchObject({ status: "in_progress", progress: 50, completed_at: null });
    const content = await app.inject({ method: "GET", url: `/v1/videos/${id}/content`, headers: AUTH });
    expect(content.statusCode).toBe(404);
    expect(content.json().error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      message: expect.any(String),
    });
    clock.advance(4000);
    const done = await poll();
    expect(done).toMatchObject({ status: "completed", progress: 100, error: null });
    expect(done.completed_at).toBe(done.created_at + 10);
  });

  it("create → poll until completed → serves the job's MP4, a PNG thumbnail and spritesheet", async () => {
    app = await buildSimulator({ jobDurationMs: 100 });
    const { id } = (await createVideo(app, { prompt: "real time", seconds: "4" })).json();
    await waitFor("the job to complete", async () => {
      const video = (await app.inject({ method: "GET", url: `/v1/videos/${id}`, headers: AUTH })).json();
      return video.status === "completed";
    });
    const video = await app.inject({ method: "GET", url: `/v1/videos/${id}/content?variant=video`, headers: AUTH });
    expect(video.statusCode).toBe(200);
    expect(video.headers["content-type"]).toBe("video/mp4");
    expect(video.rawPayload.equals(mp4Bytes(id, { seconds: 4 }))).toBe(true);
    const served = await app.inject({ method: "GET", url: `/_control/jobs/${id}/sha256?variant=video` });
    expect(served.json()).toMatchObject({ id, sha256: sha256(video.rawPayload), bytes: video.rawPayload.length });

    for (const variant of ["thumbnail", "spritesheet"]) {
      const image = await app.inject({
        method: "GET",
        url: `/v1/videos/${id}/content?variant=${variant}`,
        headers: AUTH,
      });
      expect(image.headers["content-type"]).toBe("image/png");
      expect(image.rawPayload.subarray(1, 4).toString()).toBe("PNG");
      const digest = await app.inject({ method: "GET", url: `/_control/jobs/${id}/sha256?variant=${variant}` });
      expect(digest.json().sha256).toBe(sha256(image.rawPayload));
    }
  });

  it("fails a job whose prompt carries [fail] with content_policy_violation", async () => {
    const clock = fakeClock();
    app = await buildSimulator({ now: clock.now, jobDurationMs: 1000 });
    const { id } = (await createVideo(app, { prompt: "[fail] a forbidden scene" })).json();
    clock.advance(1000);
    const video = (await app.inject({ method: "GET", url: `/v1/videos/${id}`, headers: AUTH })).json();
    expect(video).toMatchObject({ status: "failed", completed_at: null, error: { code: "content_policy_violation" } });
    expect(video.error.message).toBeTruthy();
    const content = await app.inject({ method: "GET", url: `/v1/videos/${id}/content`, headers: AUTH });
    expect(content.statusCode).toBe(404);
  });

  it("remixes a completed video into a new job", async () => {
    const clock = fakeClock();
    app = await buildSimulator({ now: clock.now, jobDurationMs: 1000 });
    const source = (await createVideo(app, { prompt: "original", seconds: "8", size: "1280x720" })).json();
    const early = await app.inject({
      method: "POST",
      url: `/v1/videos/${source.id}/remix`,
      headers: AUTH,
      payload: { prompt: "x" },
    });
    expect(early.statusCode).toBe(400);
    clock.advance(1000);
    const remix = await app.inject({
      method: "POST",
      url: `/v1/videos/${source.id}/remix`,
      headers: AUTH,
      payload: { prompt: "bluer" },
    });
    expect(remix.json()).toMatchObject({
      status: "queued",
      prompt: "bluer",
      seconds: "8",
      size: "1280x720",
      remixed_from_video_id: source.id,
    });
    expect(remix.json().id).not.toBe(source.id);
    const unknown = await app.inject({
      method: "POST",
      url: "/v1/videos/sim_nope/remix",
      headers: AUTH,
      payload: { prompt: "x" },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it("answers OpenAI-shaped errors: 400 without a prompt or with a bad size, 404 for an unknown id or variant", async () => {
    app = await buildSimulator();
    const noPrompt = await createVideo(app, { model: "sora-2" });
    expect(noPrompt.statusCode).toBe(400);
    expect(noPrompt.json()).toEqual({
      error: {
        message: expect.any(String),
        type: "invalid_request_error",
        param: "prompt",
        code: "missing_required_parameter",
      },
    });
    expect((await createVideo(app, { prompt: "p", size: "big" })).json().error.param).toBe("size");
    expect((await createVideo(app, { prompt: "p", seconds: "four" })).json().error.param).toBe("seconds");
    const unknown = await app.inject({ method: "GET", url: "/v1/videos/sim_nope", headers: AUTH });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, "video_not_found"]);
    const { id } = (await createVideo(app, { prompt: "p" })).json();
    const badVariant = await app.inject({ method: "GET", url: `/v1/videos/${id}/content?variant=gif`, headers: AUTH });
    expect(badVariant.statusCode).toBe(400);
  });

  describe("auth", () => {
    it("answers 401 without a bearer key, and accepts any key by default", async () => {
      app = await buildSimulator();
      expect((await createVideo(app, { prompt: "p" }, {})).statusCode).toBe(401);
      expect((await createVideo(app, { prompt: "p" }, { authorization: "Bearer " })).statusCode).toBe(401);
      expect((await createVideo(app, { prompt: "p" }, { authorization: "Basic abc" })).statusCode).toBe(401);
      const missing = await app.inject({ method: "GET", url: "/v1/videos/x" });
      expect(missing.json().error).toMatchObject({ type: "invalid_request_error", code: "missing_api_key" });
      expect((await createVideo(app, { prompt: "p" }, { authorization: "Bearer anything" })).statusCode).toBe(200);
    });

    it("accepts only the listed keys when given apiKeys", async () => {
      app = await buildSimulator({ apiKeys: ["sk-good"] });
      const wrong = await createVideo(app, { prompt: "p" }, { authorization: "Bearer sk-bad" });
      expect([wrong.statusCode, wrong.json().error.code]).toEqual([401, "invalid_api_key"]);
      expect((await createVideo(app, { prompt: "p" }, { authorization: "Bearer sk-good" })).statusCode).toBe(200);
    });
  });
});
