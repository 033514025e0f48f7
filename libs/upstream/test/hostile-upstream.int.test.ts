import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSimulator } from "@reelgate/simulator";
import { listenOnFreePort } from "@reelgate/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Channel } from "../src/channels.ts";
import { type JobReport, providerFor, sniffMediaType, UpstreamError, upstreamLimits } from "../src/index.ts";

// The simulator lives on 127.0.0.1 (the channel's own host); 127.0.0.2 stands for an internal host nobody may reach.
let simulator: FastifyInstance;
let root: string;
let forbidden: Server;
let forbiddenPort: number;
let connections = 0;
const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypmp42"), Buffer.alloc(100)]);

const channel = (id: string, provider: Channel["provider"], overrides: Partial<Channel> = {}): Channel => ({
  id,
  provider,
  base_url: `${root}/c/${id}/v1`,
  api_key: `sk-secret-key-of-${id}-0123456789`,
  models: {},
  priority: 0,
  weight: 1,
  timeout_seconds: 5,
  disabled: false,
  ...overrides,
});
const faults = async (name: string, body: object) =>
  fetch(`${root}/c/${name}/_control/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const request = { model: "sora-2", prompt: "a cat", seconds: "4", size: "720x1280", idempotencyKey: "video_1" };
const forbiddenUrl = (path = "/video.mp4") => `http://127.0.0.2:${forbiddenPort}${path}`;

const untilEnd = async (poll: () => Promise<JobReport>) => {
  for (;;) {
    const report = await poll();
    if (report.status === "completed" || report.status === "failed") return report;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const lastReport = async (updates: AsyncIterable<JobReport> | undefined) => {
  let last: JobReport | undefined;
  for await (const report of updates ?? []) last = report;
  return last;
};
const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return { retryable: error.retryable, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
};
const bytesOf = async (body: ReadableStream<Uint8Array>) => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
};

beforeAll(async () => {
  simulator = await buildSimulator({ jobDurationMs: 100 });
  await simulator.listen({ port: 0, host: "127.0.0.1" });
  root = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
  forbidden = createServer((_req, res) => res.writeHead(200, { "content-type": "video/mp4" }).end(mp4));
  forbidden.on("connection", () => connections++);
  forbiddenPort = await listenOnFreePort(forbidden, "127.0.0.2");
});
afterAll(async () => {
  await simulator?.close();
  forbidden?.closeAllConnections();
  forbidden?.close();
});
beforeEach(() => {
  connections = 0;
});

describe("media locations an upstream hands over", () => {
  it("refuses a chat-sse link to another host without connecting to it", async () => {
    await faults("chat-link", { mediaLinkUrl: forbiddenUrl() });
    const provider = providerFor(channel("chat-link", "chat-sse"));
    const report = await lastReport((await provider.submit({ ...request, model: "sora_video2" })).updates);
    expect(report?.status).toBe("completed");
    expect(await refusal(provider.content(report?.mediaId ?? "", "video"))).toMatchObject({ retryable: false });
    expect(connections).toBe(0);
  });

  it("refuses a content download redirected to another host without connecting to it", async () => {
    await faults("redirect", { contentRedirectUrl: forbiddenUrl() });
    const provider = providerFor(channel("redirect", "openai"));
    const { upstreamId } = await provider.submit(request);
    await untilEnd(() => provider.status(upstreamId));
    expect(await refusal(provider.content(upstreamId, "video"))).toMatchObject({ retryable: false });
    expect(connections).toBe(0);
  });

  it("follows a redirect to one of the channel's media_hosts, private as it is, without the key", async () => {
    let authorization: string | undefined = "unset";
    forbidden.once("request", (req) => {
      authorization = req.headers.authorization;
    });
    await faults("cdn", { contentRedirectUrl: forbiddenUrl() });
    const provider = providerFor(channel("cdn", "openai", { media_hosts: ["127.0.0.2"] }));
    const { upstreamId } = await provider.submit(request);
    await untilEnd(() => provider.status(upstreamId));
    const media = await provider.content(upstreamId, "video");
    expect((await bytesOf(media.body)).equals(mp4)).toBe(true);
    expect(connections).toBe(1);
    expect(authorization).toBeUndefined();
  });
});

describe("oversized and echoing upstream words", () => {
  it("ends a job whose status answer is over the JSON cap failed, with Reelgate's own message", async () => {
    await faults("huge", { oversizedErrors: 1 });
    const provider = providerFor(channel("huge", "openai"));
    const { upstreamId } = await provider.submit(request);
    const report = await untilEnd(() => provider.status(upstreamId));
    expect(report.status).toBe("failed");
    expect(report.error?.message).toMatch(/too large to read/);
  });

  it("truncates a long failure message that fits under the cap", async () => {
    await faults("long", { oversizedErrors: 1, oversizedErrorBytes: 200_000 });
    const provider = providerFor(channel("long", "openai"));
    const { upstreamId } = await provider.submit(request);
    const report = await untilEnd(() => provider.status(upstreamId));
    expect(report.status).toBe("failed");
    expect(report.error?.message.length).toBeLessThanOrEqual(upstreamLimits.messageChars);
  });

  it.each(["openai", "azure", "chat-sse"] as const)("never repeats the channel key a %s 401 echoes", async (kind) => {
    const name = `echo-${kind}`;
    await faults(name, { echoKeyErrors: 1 });
    const configured = channel(name, kind, kind === "azure" ? { base_url: `${root}/c/${name}` } : {});
    const error = await providerFor(configured)
      .submit({ ...request, model: kind === "chat-sse" ? "sora_video2" : "sora-2" })
      .then(
        () => undefined,
        (caught: unknown) => caught as UpstreamError,
      );
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error?.status).toBe(401);
    for (const text of [error?.message, error?.upstreamMessage]) {
      expect(text).toContain("Incorrect API key provided");
      expect(text).not.toContain(configured.api_key);
      expect(text).not.toContain(root.replace("http://", ""));
    }
  });
});

it("never repeats the upstream's id its 404 names", async () => {
  const provider = providerFor(channel("gone", "openai"));
  const error = await provider.status("sim_0123456789abcdef").then(
    () => undefined,
    (caught: unknown) => caught as UpstreamError,
  );
  expect(error?.status).toBe(404);
  expect(error?.upstreamMessage).toMatch(/not found/);
  expect(`${error?.message} ${error?.upstreamMessage}`).not.toContain("sim_0123456789abcdef");
});

describe("media types", () => {
  it("reads the type from the bytes", () => {
    expect(sniffMediaType(mp4)).toBe("video/mp4");
    expect(sniffMediaType(Buffer.from("<html><script>alert(1)</script>"))).toBeUndefined();
  });
});
