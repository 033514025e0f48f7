import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildSimulator } from "../src/app.ts";
import { AUTH, multipartOf } from "./helpers.ts";

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

const create = async (url: string, headers: Record<string, string> = AUTH) => {
  const form = new FormData();
  form.set("prompt", "p");
  const { payload, contentType } = await multipartOf(form);
  return app.inject({ method: "POST", url, headers: { ...headers, "content-type": contentType }, payload });
};

describe("channels: each under /c/{name} with its own faults, jobs and stats", () => {
  it("keeps faults and stats apart, and logs each request with its channel", async () => {
    app = await buildSimulator({ jobDurationMs: 50 });
    await app.inject({ method: "POST", url: "/c/a/_control/faults", payload: { submit: { status: 503 } } });
    expect((await create("/c/a/v1/videos")).statusCode).toBe(503);
    expect((await create("/c/b/v1/videos")).statusCode).toBe(200);
    expect((await create("/v1/videos")).statusCode).toBe(200);
    expect((await app.inject({ url: "/c/a/_control/stats" })).json()).toMatchObject({ submitted: 0 });
    expect((await app.inject({ url: "/c/b/_control/stats" })).json()).toMatchObject({ submitted: 1, peakInFlight: 1 });
    const all = (await app.inject({ url: "/_control/requests" })).json() as Array<{ channel: string; status: number }>;
    expect(all.map((entry) => [entry.channel, entry.status])).toEqual([
      ["a", 503],
      ["b", 200],
      ["default", 200],
    ]);
    expect((await app.inject({ url: "/c/b/_control/requests" })).json()).toHaveLength(1);
  });

  it("answers status polls with a 429 and Retry-After on demand", async () => {
    app = await buildSimulator();
    const { id } = (await create("/c/s/v1/videos")).json();
    await app.inject({
      method: "POST",
      url: "/c/s/_control/faults",
      payload: { status: { status: 429, count: 1, retryAfterSeconds: 9 } },
    });
    const limited = await app.inject({ url: `/c/s/v1/videos/${id}`, headers: AUTH });
    expect([limited.statusCode, limited.headers["retry-after"]]).toEqual([429, "9"]);
    expect((await app.inject({ url: `/c/s/v1/videos/${id}`, headers: AUTH })).statusCode).toBe(200);
  });

  it("speaks Azure's shape under /openai/v1: api-key header and api-version required", async () => {
    app = await buildSimulator();
    expect((await create("/c/z/openai/v1/videos?api-version=preview", { "api-key": "k" })).statusCode).toBe(200);
    expect((await create("/c/z/openai/v1/videos", { "api-key": "k" })).statusCode).toBe(400);
    expect((await create("/c/z/openai/v1/videos?api-version=preview", AUTH)).statusCode).toBe(401);
  });

  it("streams chat completions that end with a link, or break off before it on demand", async () => {
    app = await buildSimulator({ jobDurationMs: 50 });
    const chat = (channel: string) =>
      app.inject({
        method: "POST",
        url: `/c/${channel}/v1/chat/completions`,
        headers: AUTH,
        payload: { model: "sora_video2-15s", stream: true, messages: [{ role: "user", content: "a cat" }] },
      });
    const whole = await chat("ok");
    expect(whole.headers["content-type"]).toMatch(/text\/event-stream/);
    expect(whole.body).toMatch(/Generating… 50%/);
    const link = /\]\((http[^)]+)\)/.exec(whole.body)?.[1];
    expect(link).toMatch(/\/c\/ok\/files\/sim_\w+\.mp4$/);
    expect(whole.body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const file = await app.inject({ url: new URL(link!).pathname });
    expect([file.statusCode, file.headers["content-type"]]).toEqual([200, "video/mp4"]);

    await app.inject({ method: "POST", url: "/c/bad/_control/faults", payload: { brokenStreams: 1 } });
    const broken = await chat("bad").catch((error: Error) => error);
    const text = broken instanceof Error ? "" : broken.body;
    expect(text).not.toMatch(/\]\(http/);
    expect((await app.inject({ url: "/c/bad/_control/stats" })).json()).toMatchObject({ failed: 1 });
  });
});
