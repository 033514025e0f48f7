import type { AddressInfo } from "node:net";
import { buildSimulator } from "@reelgate/simulator";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../src/channels.ts";
import { type JobReport, providerFor, UpstreamError } from "../src/index.ts";

let simulator: FastifyInstance;
let root: string;

const channel = (
  id: string,
  provider: Channel["provider"],
  path: string,
  overrides: Partial<Channel> = {},
): Channel => ({
  id,
  provider,
  base_url: `${root}${path}`,
  api_key: `key-${id}`,
  models: {},
  priority: 0,
  weight: 1,
  timeout_seconds: 5,
  disabled: false,
  ...overrides,
});
const control = async (path: string, init?: RequestInit) => (await fetch(`${root}${path}`, init)).json();
const faults = (name: string, body: object) =>
  control(`/c/${name}/_control/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const request = { model: "sora-2", prompt: "a cat", seconds: "4", size: "720x1280", idempotencyKey: "video_1" };
const bytesOf = async (body: ReadableStream<Uint8Array>) => {
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
};

const untilEnd = async (poll: () => Promise<JobReport>) => {
  for (;;) {
    const report = await poll();
    if (report.status === "completed" || report.status === "failed") return report;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

beforeAll(async () => {
  simulator = await buildSimulator({ jobDurationMs: 200 });
  await simulator.listen({ port: 0, host: "127.0.0.1" });
  root = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await simulator?.close();
});

describe("openai provider against the simulator", () => {
  it("submits, polls to completed, remixes, cancels and downloads", async () => {
    const provider = providerFor(channel("o", "openai", "/c/o/v1"));
    expect(provider.follow).toBe("poll");
    const { upstreamId } = await provider.submit({
      ...request,
      inputReference: { bytes: Buffer.from("img"), contentType: "image/png", filename: "i.png" },
    });
    const done = await untilEnd(() => provider.status(upstreamId));
    expect(done).toMatchObject({ status: "completed", progress: 100, seconds: "4", size: "720x1280", error: null });
    const media = await provider.content(upstreamId, "video");
    expect(media.contentType).toBe("video/mp4");
    expect(await bytesOf(media.body)).toBeGreaterThan(100);
    const remix = await provider.remix(upstreamId, { prompt: "a dog", idempotencyKey: "video_2" });
    await provider.cancel(remix.upstreamId);
    expect(await provider.status(remix.upstreamId)).toMatchObject({ status: "failed", error: { code: "cancelled" } });
    const sent = (await control("/c/o/_control/requests")) as Array<{ path: string; files: Array<{ field: string }> }>;
    expect(sent[0]?.files.map((file) => file.field)).toEqual(["input_reference"]);
  });

  it("classifies failures: 429 with Retry-After and 5xx are retryable, a 400 carries the upstream's own message", async () => {
    const provider = providerFor(channel("e", "openai", "/c/e/v1"));
    await faults("e", { submit: { status: 429, count: 1, retryAfterSeconds: 7 } });
    const limited = await provider.submit(request).catch((error: unknown) => error);
    expect(limited).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
    await faults("e", {
      submit: { status: 400, count: 1, body: { error: { message: "bad prompt", code: "invalid_prompt" } } },
    });
    const rejected = await provider.submit(request).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(UpstreamError);
    expect(rejected).toMatchObject({
      status: 400,
      retryable: false,
      upstreamMessage: "bad prompt",
      upstreamCode: "invalid_prompt",
    });
  });

  it("a submit that hangs past the channel's timeout is a retryable time-out", async () => {
    const provider = providerFor(channel("t", "openai", "/c/t/v1", { timeout_seconds: 0.2 }));
    await faults("t", { hangingSubmits: 1, hangMs: 3000 });
    const error = await provider.submit(request).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ retryable: true, message: "submit: timed out" });
  });
});

describe("azure provider against the simulator", () => {
  it("uses /openai/v1/videos, the api-key header and api-version", async () => {
    const provider = providerFor(channel("az", "azure", "/c/az", { api_version: "2025-04-01-preview" }));
    const { upstreamId } = await provider.submit(request);
    expect((await untilEnd(() => provider.status(upstreamId))).status).toBe("completed");
    expect(await bytesOf((await provider.content(upstreamId, "thumbnail")).body)).toBeGreaterThan(10);
    const sent = (await control("/c/az/_control/requests")) as Array<{ path: string; query: object; headers: object }>;
    expect(sent[0]).toMatchObject({
      path: "/c/az/openai/v1/videos",
      query: { "api-version": "2025-04-01-preview" },
      headers: { "api-key": "[redacted]" },
    });
  });
});

describe("chat-sse provider against the simulator", () => {
  const reports = async (updates: AsyncIterable<JobReport> | undefined) => {
    const seen: JobReport[] = [];
    for await (const report of updates ?? []) seen.push(report);
    return seen;
  };

  it("follows the stream: rising progress, then completed with the link, which downloads without a key", async () => {
    const provider = providerFor(channel("chat", "chat-sse", "/c/chat/v1"));
    expect(provider.follow).toBe("stream");
    const submitted = await provider.submit({ ...request, model: "sora_video2-landscape" });
    expect(submitted.upstreamId).toMatch(/^chatcmpl-/);
    const seen = await reports(submitted.updates);
    const progress = seen.filter((report) => report.status === "in_progress").map((report) => report.progress);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const last = seen.at(-1);
    expect(last).toMatchObject({ status: "completed", size: "1280x704", seconds: "10", variants: ["video"] });
    expect(last?.mediaId).toMatch(/\/c\/chat\/files\/sim_\w+\.mp4$/);
    const media = await provider.content(last!.mediaId!, "video");
    expect(await bytesOf(media.body)).toBeGreaterThan(100);
  });

  it("a stream that breaks off before the link ends failed, with the reason", async () => {
    const provider = providerFor(channel("chatb", "chat-sse", "/c/chatb/v1"));
    await faults("chatb", { brokenStreams: 1 });
    const seen = await reports((await provider.submit({ ...request, model: "sora_video2" })).updates);
    expect(seen.at(-1)).toMatchObject({
      status: "failed",
      error: { code: "content_policy_violation", message: expect.stringMatching(/before it delivered a video/) },
    });
  });

  it("has no polling or remix endpoint, and says so as a request error", async () => {
    const provider = providerFor(channel("chatc", "chat-sse", "/c/chatc/v1"));
    await expect(provider.remix("x", { prompt: "p", idempotencyKey: "k" })).rejects.toMatchObject({
      status: 400,
      retryable: false,
    });
  });
});
