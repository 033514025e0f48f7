import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildSimulator } from "../src/app.ts";
import { AUTH, createVideo, fakeClock, multipartOf } from "./helpers.ts";

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

const control = async (method: "GET" | "POST" | "DELETE", url: string, payload?: object) =>
  (await app.inject({ method, url: `/_control${url}`, ...(payload ? { payload } : {}) })).json();

describe("submit faults", () => {
  it("answer the next `count` submits with the fault, Retry-After included, then recover", async () => {
    app = await buildSimulator();
    await control("POST", "/faults", { submit: { status: 429, count: 2, retryAfterSeconds: 3 } });
    const first = await createVideo(app, { prompt: "p" });
    expect([first.statusCode, first.headers["retry-after"], first.json().error.code]).toEqual([
      429,
      "3",
      "rate_limit_exceeded",
    ]);
    expect((await createVideo(app, { prompt: "p" })).statusCode).toBe(429);
    expect((await createVideo(app, { prompt: "p" })).statusCode).toBe(200);
    expect(await control("GET", "/stats")).toMatchObject({ submitted: 1 });
  });

  it("send the body given, for every submit until reset", async () => {
    app = await buildSimulator();
    await control("POST", "/faults", { submit: { status: 503, body: { error: { message: "down" } } } });
    for (let i = 0; i < 3; i++) {
      const refused = await createVideo(app, { prompt: "p" });
      expect([refused.statusCode, refused.json()]).toEqual([503, { error: { message: "down" } }]);
    }
    await control("DELETE", "/faults");
    expect((await createVideo(app, { prompt: "p" })).statusCode).toBe(200);
  });

  it("reject a malformed fault", async () => {
    app = await buildSimulator();
    const refused = await app.inject({ method: "POST", url: "/_control/faults", payload: { submit: { count: 1 } } });
    expect(refused.statusCode).toBe(400);
  });

  it("set the duration of jobs submitted afterwards, and delay responses by latencyMs", async () => {
    const clock = fakeClock();
    app = await buildSimulator({ now: clock.now, jobDurationMs: 10_000 });
    await control("POST", "/faults", { jobDurationMs: 100, latencyMs: 30 });
    const started = Date.now();
    const { id } = (await createVideo(app, { prompt: "p" })).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    clock.advance(100);
    expect((await app.inject({ method: "GET", url: `/v1/videos/${id}`, headers: AUTH })).json().status).toBe(
      "completed",
    );
  });
});

describe("observation", () => {
  it("records requests in order, with credentials redacted and uploads hashed", async () => {
    app = await buildSimulator();
    const reference = Buffer.from("not really a png, but bytes all the same");
    const form = new FormData();
    form.set("model", "sora-2");
    form.set("prompt", "with a reference");
    form.set("input_reference", new Blob([reference], { type: "image/png" }), "ref.png");
    const { payload, contentType } = await multipartOf(form);
    const created = await app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: { ...AUTH, "content-type": contentType },
      payload,
    });
    await app.inject({ method: "GET", url: `/v1/videos/${created.json().id}?x=1`, headers: AUTH });

    const requests = await control("GET", "/requests");
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: "POST",
      path: "/v1/videos",
      status: 200,
      responseId: created.json().id,
      fields: ["model", "prompt"],
      files: [
        {
          field: "input_reference",
          filename: "ref.png",
          contentType: "image/png",
          size: reference.length,
          sha256: createHash("sha256").update(reference).digest("hex"),
        },
      ],
    });
    expect(requests[0].headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(requests)).not.toContain("sk-test");
    expect(requests[1]).toMatchObject({
      method: "GET",
      path: `/v1/videos/${created.json().id}`,
      query: { x: "1" },
      status: 200,
    });

    expect(await control("DELETE", "/requests")).toEqual({ cleared: 2 });
    expect(await control("GET", "/requests")).toEqual([]);
  });

  it("counts jobs in flight, their peak, and how they ended", async () => {
    const clock = fakeClock();
    app = await buildSimulator({ now: clock.now, jobDurationMs: 1000 });
    await createVideo(app, { prompt: "one" });
    clock.advance(500);
    await createVideo(app, { prompt: "[fail] two" });
    await createVideo(app, { prompt: "three" });
    expect(await control("GET", "/stats")).toEqual({
      submitted: 3,
      inFlight: 3,
      peakInFlight: 3,
      completed: 0,
      failed: 0,
    });
    clock.advance(500);
    expect(await control("GET", "/stats")).toEqual({
      submitted: 3,
      inFlight: 2,
      peakInFlight: 3,
      completed: 1,
      failed: 0,
    });
    clock.advance(500);
    expect(await control("GET", "/stats")).toEqual({
      submitted: 3,
      inFlight: 0,
      peakInFlight: 3,
      completed: 2,
      failed: 1,
    });
    const jobs = await control("GET", "/jobs");
    expect(jobs.map((job: { prompt: string }) => job.prompt)).toEqual(["one", "[fail] two", "three"]);
  });

  it("serves a video of the size asked for, streamed, whose sha256 the control API reports", async () => {
    const clock = fakeClock();
    app = await buildSimulator({ now: clock.now, jobDurationMs: 0 });
    await control("POST", "/faults", { videoBytes: 2_500_000 });
    const { id } = (await createVideo(app, { prompt: "big" })).json();
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${address.port}/v1/videos/${id}/content`, { headers: AUTH });
    expect([response.status, response.headers.get("content-length")]).toEqual([200, "2500000"]);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(2_500_000);
    expect(await control("GET", `/jobs/${id}/sha256?variant=video`)).toMatchObject({
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: 2_500_000,
    });
  });
});
