import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSimulator } from "@reelgate/simulator";
import { listenOnFreePort } from "@reelgate/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel, ProviderName } from "../src/channels.ts";
import { canDo, type JobReport, type Provider, providerFor, type SubmitRequest, UpstreamError } from "../src/index.ts";

/**
 * One contract every provider adapter keeps, against the simulator speaking that provider's shape: text and
 * image jobs followed to their end, the content's bytes, failures and the content filter mapped onto the
 * four statuses, a refused credential, a 429 with Retry-After, and cancel where the provider has one.
 */

const GOOD_KEY = "good-key";
const SERVICE_ACCOUNT = "reelgate@sim-project.iam.gserviceaccount.com";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicPem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();

let simulator: FastifyInstance;
let root: string;
let submits = 0;
/** A host outside every channel's hosts; a link there must be refused before any connection. */
let forbidden: Server;
let forbiddenConnections = 0;
let forbiddenUrl: string;
let keyDir: string;

const keyFile = (name: string, privateKey: string) => {
  const file = join(keyDir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      type: "service_account",
      project_id: "sim-project",
      private_key_id: "k1",
      private_key: privateKey,
      client_email: SERVICE_ACCOUNT,
      token_uri: `${root}/oauth2/token`,
    }),
  );
  return file;
};

interface Harness {
  provider: ProviderName;
  /** Where the shape lives under the simulator's channel root. */
  path: string;
  model: string;
  /** Fields that make the channel's credentials wrong. */
  wrongCredentials: () => Partial<Channel>;
  credentials?: () => Partial<Channel>;
  /** The code a content-filtered job ends with. */
  filteredCode: string;
  cancels: boolean;
  /** A fault that fails the next job, where a prompt marker does not (a chat stream fails by breaking off). */
  failFault?: object;
  /** What the upstream must have received for a 1920x1080, 8 s job (the SPEC §3 mapping), where it is JSON. */
  sent1080?: (body: Record<string, unknown>) => void;
  /** Cancel deletes the task: the upstream no longer knows it afterwards (404). */
  cancelDeletes?: boolean;
  /** What the upstream received for an edit of a finished job, then (where it takes one) of an uploaded file. */
  editsSent?: (sent: Awaited<ReturnType<typeof sentTo>>, uploadBytes: number) => void;
}

const harnesses: Harness[] = [
  {
    provider: "openai",
    path: "/v1",
    model: "sora-2",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_policy_violation",
    cancels: true,
  },
  {
    provider: "azure",
    path: "",
    model: "sora-2",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_policy_violation",
    cancels: true,
  },
  {
    provider: "chat-sse",
    path: "/v1",
    model: "sora_video2",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_policy_violation",
    cancels: false,
    failFault: { brokenStreams: 1 },
  },
  {
    provider: "gemini",
    path: "/v1beta",
    model: "veo-3.1-generate-preview",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_filtered",
    cancels: false,
    sent1080: (body) =>
      expect(body).toMatchObject({
        instances: [{ prompt: "a cat" }],
        parameters: { aspectRatio: "16:9", resolution: "1080p", durationSeconds: 8 },
      }),
  },
  {
    provider: "vertex",
    path: "/vertex/v1",
    model: "veo-3.1-generate-preview",
    credentials: () => ({ key_file: keyFile("good", privatePem), project: "sim-project", location: "us-central1" }),
    wrongCredentials: () => ({ key_file: keyFile("stranger", stranger) }),
    filteredCode: "content_filtered",
    cancels: false,
    sent1080: (body) => expect(body).toMatchObject({ parameters: { aspectRatio: "16:9", resolution: "1080p" } }),
  },
  {
    provider: "kling",
    path: "/kling",
    model: "kling-v2-master",
    credentials: () => ({ api_secret: `secret-${GOOD_KEY}` }),
    wrongCredentials: () => ({ api_secret: "not-the-secret" }),
    filteredCode: "content_filtered",
    cancels: false,
    sent1080: (body) =>
      expect(body).toMatchObject({ model_name: "kling-v2-master", aspect_ratio: "16:9", mode: "pro", duration: "10" }),
  },
  {
    provider: "dashscope",
    path: "/dashscope/api/v1",
    model: "wan2.5-t2v-preview",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_filtered",
    cancels: true,
    sent1080: (body) =>
      expect(body).toMatchObject({ model: "wan2.5-t2v-preview", parameters: { size: "1920*1080", duration: 10 } }),
  },
  {
    provider: "ark",
    path: "/ark/api/v3",
    model: "seedance-1-0-pro-250528",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_filtered",
    cancels: true,
    sent1080: (body) =>
      expect(body).toMatchObject({
        content: [{ type: "text", text: "a cat --resolution 1080p --ratio 16:9 --duration 10" }],
      }),
  },
  {
    provider: "runway",
    path: "/runway",
    model: "gen4.5",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_filtered",
    cancels: false,
    cancelDeletes: true,
    sent1080: (body) => expect(body).toEqual({ model: "gen4.5", promptText: "a cat", ratio: "1920:1080", duration: 8 }),
    editsSent: (sent, uploadBytes) => {
      const edits = sent.filter((entry) => entry.path.endsWith("/v1/video_to_video"));
      expect(edits.map((entry) => entry.status)).toEqual([200, 200]);
      // The finished job by its output link (which Runway fetches itself); the file inline as a data URI.
      expect(edits[0]?.body).toMatchObject({
        model: "aleph2",
        promptText: "a dog",
        videoUri: expect.stringMatching(/^http:\/\/localhost:\d+\/c\/runway-edit\/media\//),
      });
      const inline = Math.ceil(uploadBytes / 3) * 4 + "data:video/mp4;base64,".length;
      expect(edits[1]?.body).toMatchObject({ videoUri: expect.stringContaining(`(${inline} chars)`) });
      expect(edits.every((entry) => entry.headers["x-runway-version"] === "2024-11-06")).toBe(true);
    },
  },
  {
    provider: "luma",
    path: "/luma/dream-machine/v1",
    model: "ray-2",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_filtered",
    cancels: false,
    cancelDeletes: true,
    sent1080: (body) =>
      expect(body).toEqual({
        prompt: "a cat",
        model: "ray-2",
        aspect_ratio: "16:9",
        resolution: "1080p",
        duration: "9s",
      }),
    editsSent: (sent) => {
      const edits = sent.filter((entry) => entry.path.endsWith("/generations/video/modify"));
      expect(edits.map((entry) => entry.status)).toEqual([201]);
      expect(edits[0]?.body).toMatchObject({
        generation_type: "modify_video",
        mode: "flex_1",
        model: "ray-2",
        prompt: "a dog",
        media: { url: expect.stringMatching(/^http:\/\/localhost:\d+\/c\/luma-edit\/media\//) },
      });
    },
  },
  {
    provider: "minimax",
    path: "/minimax/v1",
    model: "MiniMax-Hailuo-02",
    wrongCredentials: () => ({ api_key: "wrong" }),
    filteredCode: "content_filtered",
    cancels: false,
    // Hailuo-02 makes 1080P at 6 s only.
    sent1080: (body) =>
      expect(body).toMatchObject({ model: "MiniMax-Hailuo-02", prompt: "a cat", resolution: "1080P", duration: 6 }),
  },
];

/** The lengths a provider makes, where they are not Sora's 4/8 s: Kling and DashScope 5/10, Luma 5/9, MiniMax 6/6, Ark 8/10. */
const lengthsOf = (provider: ProviderName) =>
  provider === "kling" || provider === "dashscope"
    ? { short: "5", long: "10" }
    : provider === "luma"
      ? { short: "5", long: "9" }
      : provider === "minimax"
        ? { short: "6", long: "6" }
        : provider === "ark"
          ? { short: "8", long: "10" }
          : { short: "8", long: "8" };

const channelOf = (harness: Harness, id: string, overrides: Partial<Channel> = {}): Channel => ({
  id,
  provider: harness.provider,
  base_url: `${root}/c/${id}${harness.path}`,
  api_key: GOOD_KEY,
  models: harness.provider === "dashscope" ? { wan: { text: harness.model, image: "wan2.5-i2v-preview" } } : {},
  priority: 0,
  weight: 1,
  timeout_seconds: 10,
  disabled: false,
  // The simulator hands out media links on its other loopback name (the channel is on 127.0.0.1): a second host.
  media_hosts: ["localhost"],
  ...harness.credentials?.(),
  ...overrides,
});

const control = async (path: string, init?: RequestInit) => (await fetch(`${root}${path}`, init)).json();
const faults = (channel: string, body: object) =>
  control(`/c/${channel}/_control/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const sentTo = async (channel: string) =>
  (await control(`/c/${channel}/_control/requests`)) as Array<{
    method: string;
    path: string;
    status?: number;
    headers: Record<string, string>;
    fields: string[];
    files: Array<{ field: string; size: number }>;
    body?: Record<string, unknown>;
    responseId?: string;
  }>;

const image = { bytes: Buffer.from("a-small-png-stand-in"), contentType: "image/png", filename: "frame.png" };

/** Follows a job to its end the way the poller does: its stream, or polls of `status`. */
const followToEnd = async (
  provider: Provider,
  submitted: { upstreamId: string; updates?: AsyncIterable<JobReport> },
) => {
  if (submitted.updates) {
    let last: JobReport | undefined;
    for await (const report of submitted.updates) last = report;
    if (!last) throw new Error("the stream ended without a report");
    return last;
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const report = await provider.status(submitted.upstreamId);
    expect(["queued", "in_progress", "completed", "failed"]).toContain(report.status);
    if (report.status === "completed" || report.status === "failed") return report;
    if (Date.now() > deadline) throw new Error("the job did not end in 20 s");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

const sha256Of = async (body: ReadableStream<Uint8Array>) => {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  for await (const chunk of body) hash.update(chunk);
  return hash.digest("hex");
};

beforeAll(async () => {
  simulator = await buildSimulator({
    jobDurationMs: 300,
    apiKeys: [GOOD_KEY],
    serviceAccounts: { [SERVICE_ACCOUNT]: publicPem },
  });
  await simulator.listen({ port: 0, host: "127.0.0.1" });
  root = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
  keyDir = mkdtempSync(join(tmpdir(), "vertex-keys-"));
  forbidden = createServer((_req, res) => res.writeHead(200, { "content-type": "video/mp4" }).end("not ours"));
  forbidden.on("connection", () => forbiddenConnections++);
  forbiddenUrl = `http://127.0.0.2:${await listenOnFreePort(forbidden, "127.0.0.2")}/video.mp4`;
});
afterAll(async () => {
  await simulator?.close();
  forbidden?.closeAllConnections();
  forbidden?.close();
});

describe.each(harnesses)("provider contract: $provider", (harness) => {
  const name = (what: string) => `${harness.provider}-${what}`;
  const request = (overrides: Partial<SubmitRequest> = {}): SubmitRequest => ({
    model: harness.model,
    prompt: "a cat",
    seconds: lengthsOf(harness.provider).short,
    size: "1280x720",
    // One key per submit: the videos-API shape refuses a key reused with another request (409), as OpenAI does.
    idempotencyKey: `video_${++submits}`,
    ...overrides,
  });

  it("text and image jobs run to completed, and the content is the upstream's bytes", async () => {
    const id = name("ok");
    const provider = providerFor(channelOf(harness, id));
    for (const inputReference of canDo(harness.provider, "image-to-video") ? [undefined, image] : [undefined]) {
      const submitted = await provider.submit(request(inputReference ? { inputReference } : {}));
      const report = await followToEnd(provider, submitted);
      expect(report).toMatchObject({ status: "completed", error: null });
      const made = (await sentTo(id)).filter((entry) => entry.responseId).at(-1);
      expect(made?.responseId).toBeDefined();
      const media = await provider.content(report.mediaId ?? submitted.upstreamId, "video");
      const expected = (await control(`/c/${id}/_control/jobs/${made?.responseId}/sha256`)) as { sha256: string };
      expect(await sha256Of(media.body)).toBe(expected.sha256);
    }
  });

  it.runIf(harness.sent1080)("sends 1920x1080 as SPEC §3 maps it", async () => {
    const id = name("map");
    const provider = providerFor(channelOf(harness, id));
    await provider.submit(request({ size: "1920x1080", seconds: lengthsOf(harness.provider).long }));
    const [submit] = await sentTo(id);
    harness.sent1080?.(submit?.body ?? {});
  });

  it.runIf(harness.provider === "openai" || harness.provider === "azure")(
    "a create without a file is sent as JSON, one with an input image as multipart, both with the key",
    async () => {
      const id = name("bodies");
      const provider = providerFor(channelOf(harness, id));
      const text = request({ prompt: "a dog" });
      const withImage = request({ prompt: "a dog", inputReference: image });
      await provider.submit(text);
      await provider.submit(withImage);
      const [json, form] = (await sentTo(id)).filter((entry) => entry.method === "POST");
      expect(json?.headers["content-type"]).toMatch(/^application\/json/);
      expect(json?.headers["idempotency-key"]).toBe(text.idempotencyKey);
      expect(json?.fields).toEqual(["model", "prompt", "seconds", "size"]);
      expect(json?.files).toEqual([]);
      expect(json?.status).toBe(200);
      expect(form?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      expect(form?.headers["idempotency-key"]).toBe(withImage.idempotencyKey);
      expect(form?.fields).toEqual(["model", "prompt", "seconds", "size"]);
      expect(form?.files.map((file) => [file.field, file.size])).toEqual([["input_reference", image.bytes.length]]);
      expect(form?.status).toBe(200);
    },
  );

  it("a failed job ends failed, and a filtered one with the filter's code", async () => {
    const id = name("fail");
    const provider = providerFor(channelOf(harness, id));
    if (harness.failFault) await faults(id, harness.failFault);
    const failed = await followToEnd(provider, await provider.submit(request({ prompt: "a cat [fail]" })));
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toBeTruthy();
    if (harness.filteredCode === "content_filtered") expect(failed.error?.code).not.toBe("content_filtered");
    if (harness.failFault) await faults(id, harness.failFault);
    const filtered = await followToEnd(provider, await provider.submit(request({ prompt: "a cat [filtered]" })));
    expect(filtered).toMatchObject({ status: "failed", error: { code: harness.filteredCode } });
  });

  it("a refused credential is a non-retryable error", async () => {
    const provider = providerFor(channelOf(harness, name("auth"), harness.wrongCredentials()));
    const error = await provider.submit(request()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: false });
    expect([400, 401, 403]).toContain((error as UpstreamError).status);
  });

  it.runIf(["gemini", "vertex", "kling", "dashscope", "ark"].includes(harness.provider))(
    "a 401 that echoes the presented credential reaches nobody with it: the message is scrubbed",
    async () => {
      const id = name("echo-key");
      const channel = channelOf(harness, id);
      await faults(id, { echoKeyErrors: 1 });
      const error = (await providerFor(channel)
        .submit(request())
        .catch((caught: unknown) => caught)) as UpstreamError;
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({
        status: 401,
        retryable: false,
        upstreamMessage: expect.stringContaining("[redacted]"),
      });
      for (const text of [error.message, error.upstreamMessage ?? ""]) {
        expect(text).not.toContain(channel.api_key || "no key");
        expect(text).not.toMatch(/eyJ|ya29\./);
      }
    },
  );

  it("a 429 with Retry-After and a 503 are retryable; the next try goes through", async () => {
    const id = name("busy");
    const provider = providerFor(channelOf(harness, id));
    await faults(id, { submit: { status: 429, count: 1, retryAfterSeconds: 7 } });
    expect(await provider.submit(request()).catch((caught: unknown) => caught)).toMatchObject({
      status: 429,
      retryable: true,
      retryAfterMs: 7000,
    });
    await faults(id, { submit: { status: 503, count: 1 } });
    expect(await provider.submit(request()).catch((caught: unknown) => caught)).toMatchObject({
      status: 503,
      retryable: true,
    });
    expect((await provider.submit(request())).upstreamId).toBeTruthy();
  });

  it.runIf(harness.cancels)("cancels a queued job, which then ends failed", async () => {
    const id = name("cancel");
    const provider = providerFor(channelOf(harness, id));
    await faults(id, { jobDurationMs: 60_000 });
    const { upstreamId } = await provider.submit(request());
    await provider.cancel(upstreamId);
    expect((await provider.status(upstreamId)).status).toBe("failed");
  });

  // Vertex hands the video inline (no link); the videos-API and chat shapes have their own cases in hostile-upstream.
  it.runIf(!canDo(harness.provider, "image-to-video"))(
    "an input image is refused unsupported_operation before anything is sent",
    async () => {
      const id = name("no-image");
      const refused = await providerFor(channelOf(harness, id))
        .submit(request({ inputReference: image }))
        .catch((caught: unknown) => caught);
      expect(refused).toMatchObject({ retryable: false, status: 400, upstreamCode: "unsupported_operation" });
      expect(await sentTo(id)).toEqual([]);
    },
  );

  it.runIf(harness.cancelDeletes)("cancel deletes the task: the upstream no longer has it", async () => {
    const id = name("delete");
    const provider = providerFor(channelOf(harness, id));
    await faults(id, { jobDurationMs: 60_000 });
    const { upstreamId } = await provider.submit(request());
    expect((await provider.status(upstreamId)).status).toBe("queued");
    await provider.cancel(upstreamId);
    expect(await provider.status(upstreamId).catch((caught: unknown) => caught)).toMatchObject({
      status: 404,
      retryable: false,
    });
    // Cancelling what is gone is nothing to do.
    await provider.cancel(upstreamId);
    expect((await sentTo(id)).filter((entry) => entry.method === "DELETE").map((entry) => entry.status)).toEqual([
      204, 404,
    ]);
  });

  it.runIf(["gemini", "kling", "dashscope", "ark", "runway", "luma", "minimax"].includes(harness.provider))(
    "a media link to a host outside the channel's own and its media_hosts is refused, never connected to",
    async () => {
      const id = name("hostile-link");
      const provider = providerFor(channelOf(harness, id));
      await faults(id, { mediaLinkUrl: forbiddenUrl });
      const submitted = await provider.submit(request());
      expect(await followToEnd(provider, submitted)).toMatchObject({ status: "completed" });
      const before = forbiddenConnections;
      const refused = await provider
        .content(submitted.upstreamId, "video")
        .then(() => undefined)
        .catch((caught: unknown) => caught);
      expect(refused).toBeInstanceOf(UpstreamError);
      expect(refused).toMatchObject({ retryable: false, message: expect.stringContaining("host_not_allowed") });
      expect(forbiddenConnections).toBe(before);
    },
  );

  it.runIf(harness.provider !== "chat-sse" && harness.provider !== "openai" && harness.provider !== "azure")(
    "check() accepts good credentials and refuses wrong ones, creating no job",
    async () => {
      const id = name("check");
      await providerFor(channelOf(harness, id)).check?.();
      const refused = await providerFor(channelOf(harness, `${id}x`, harness.wrongCredentials()))
        .check?.()
        .catch((caught: unknown) => caught);
      expect(refused).toBeInstanceOf(UpstreamError);
      expect((await sentTo(id)).filter((entry) => entry.responseId)).toEqual([]);
    },
  );
});

describe.each(harnesses)("provider contract, edits, extensions and characters: $provider", (harness) => {
  const name = (what: string) => `${harness.provider}-${what}`;
  const seconds =
    harness.provider === "kling" || harness.provider === "dashscope" || harness.provider === "luma"
      ? "5"
      : harness.provider === "minimax"
        ? "6"
        : "4";
  const finishedJob = async (provider: Provider, id: string) => {
    const submitted = await provider.submit({
      model: harness.model,
      prompt: "a cat",
      seconds,
      size: "1280x720",
      idempotencyKey: `video_${++submits}`,
    });
    expect(await followToEnd(provider, submitted)).toMatchObject({ status: "completed" });
    const made = (await sentTo(id)).filter((entry) => entry.responseId).at(-1);
    return { upstreamId: submitted.upstreamId, simulatorId: made?.responseId ?? "" };
  };

  it("has exactly the methods the capabilities table says", () => {
    const provider = providerFor(channelOf(harness, name("methods")));
    expect(Boolean(provider.edit)).toBe(canDo(harness.provider, "edit"));
    expect(Boolean(provider.extend)).toBe(canDo(harness.provider, "extend"));
    expect(Boolean(provider.createCharacter)).toBe(canDo(harness.provider, "characters"));
  });

  it.runIf(canDo(harness.provider, "edit"))(
    "edits a finished job, and an uploaded file where the provider takes one",
    async () => {
      const id = name("edit");
      const provider = providerFor(channelOf(harness, id));
      const source = await finishedJob(provider, id);
      const edited = await provider.edit!(
        { kind: "job", upstreamId: source.upstreamId },
        { prompt: "a dog", model: harness.model, idempotencyKey: `video_${++submits}` },
      );
      const report = await followToEnd(provider, edited);
      expect(report).toMatchObject({ status: "completed" });
      // Runway reports no length: the poller keeps the one asked for (the source's).
      expect(report.seconds || seconds).toBe(seconds);
      const media = await provider.content(source.upstreamId, "video");
      const upload = new Uint8Array(await new Response(media.body).arrayBuffer());
      if (canDo(harness.provider, "edit", { upload: true })) {
        const fromFile = await provider.edit!(
          { kind: "upload", body: upload, contentType: "video/mp4", filename: "source.mp4" },
          { prompt: "a fox", model: harness.model },
        );
        const fileReport = await followToEnd(provider, fromFile);
        expect(fileReport).toMatchObject({ status: "completed" });
        expect(fileReport.seconds || seconds).toBe(seconds);
      }
      const sent = await sentTo(id);
      if (harness.editsSent) return harness.editsSent(sent, upload.length);
      const edits = sent.filter((entry) => entry.path.endsWith("/videos/edits"));
      expect(edits.map((entry) => entry.status)).toEqual([200, 200]);
      expect(edits[0]?.fields).toEqual(["prompt", "video"]);
      expect(edits[0]?.headers?.["content-type"]).toMatch(/^application\/json/);
      expect(edits[1]?.files.map((file) => [file.field, file.size])).toEqual([["video", upload.length]]);
    },
  );

  it.runIf(canDo(harness.provider, "edit") && !canDo(harness.provider, "edit", { upload: true }))(
    "refuses to edit an uploaded file, sending nothing",
    async () => {
      const id = name("edit-refused");
      const refused = await providerFor(channelOf(harness, id)).edit!(
        { kind: "upload", body: new Uint8Array([1, 2, 3]), contentType: "video/mp4", filename: "clip.mp4" },
        { prompt: "more", model: harness.model },
      ).catch((caught: unknown) => caught);
      expect(refused).toMatchObject({ retryable: false, status: 400, upstreamCode: "unsupported_operation" });
      expect(await sentTo(id)).toEqual([]);
    },
  );

  it.runIf(canDo(harness.provider, "extend"))(
    "extends a finished job: the report's seconds are the stitched total; a resent key gets the same job",
    async () => {
      const id = name("extend");
      const provider = providerFor(channelOf(harness, id));
      const source = await finishedJob(provider, id);
      const key = `video_${++submits}`;
      const veo = harness.provider === "gemini" || harness.provider === "vertex";
      // Veo extends by 7 s exactly; Kling by its own 5 s whatever is asked.
      const added = veo ? 7 : harness.provider === "kling" ? 5 : 8;
      const request = {
        prompt: "and then it rains",
        model: harness.model,
        seconds: veo ? "7" : "8",
        idempotencyKey: key,
      };
      const extended = await provider.extend!({ kind: "job", upstreamId: source.upstreamId }, request);
      const total = Number(seconds) + added;
      expect(await followToEnd(provider, extended)).toMatchObject({ status: "completed" });
      const report = await provider.status(extended.upstreamId);
      // A Veo operation names no length: the poller records source + extension, which is what Google documents.
      expect(report.seconds).toBe(veo ? "" : String(total));
      const media = await provider.content(extended.upstreamId, "video");
      await sha256Of(media.body);
      if (veo) {
        const sent = (await sentTo(id)).filter((entry) => entry.path.endsWith(":predictLongRunning")).at(-1);
        const video =
          harness.provider === "gemini"
            ? { uri: expect.stringContaining(`/files/${source.simulatorId}:download`) }
            : { bytesBase64Encoded: expect.stringMatching(/^sha256:/), mimeType: "video/mp4" };
        expect(sent).toMatchObject({
          status: 200,
          body: { instances: [{ prompt: "and then it rains", video }], parameters: { durationSeconds: 7 } },
        });
        const jobs = (await control(`/c/${id}/_control/jobs`)) as Array<{ id: string; seconds: string }>;
        expect(jobs.find((job) => job.id === sent?.responseId)?.seconds).toBe(String(total));
      }
      if (harness.provider === "openai" || harness.provider === "azure") {
        const again = await provider.extend!({ kind: "job", upstreamId: source.upstreamId }, request);
        expect(again.upstreamId).toBe(extended.upstreamId);
      }
    },
  );

  it.runIf(canDo(harness.provider, "extend", { upload: true }))(
    "extends an uploaded file: the stitched total counts the file's own length",
    async () => {
      const id = name("extend-upload");
      const provider = providerFor(channelOf(harness, id));
      const source = await finishedJob(provider, id);
      const body = new Uint8Array(
        await new Response((await provider.content(source.upstreamId, "video")).body).arrayBuffer(),
      );
      const extended = await provider.extend!(
        { kind: "upload", body, contentType: "video/mp4", filename: "clip.mp4" },
        { prompt: "more", model: harness.model, seconds: "4" },
      );
      expect(await followToEnd(provider, extended)).toMatchObject({
        status: "completed",
        seconds: String(Number(seconds) + 4),
      });
      const sent = (await sentTo(id)).find((entry) => entry.path.endsWith("/videos/extensions"));
      expect(sent?.fields).toEqual(["prompt", "seconds"]);
      expect(sent?.files.map((file) => file.field)).toEqual(["video"]);
    },
  );

  it.runIf(canDo(harness.provider, "extend") && !canDo(harness.provider, "extend", { upload: true }))(
    "refuses to extend an uploaded file, sending nothing",
    async () => {
      const id = name("extend-refused");
      const provider = providerFor(channelOf(harness, id));
      const refused = await provider.extend!(
        { kind: "upload", body: new Uint8Array([1, 2, 3]), contentType: "video/mp4", filename: "clip.mp4" },
        { prompt: "more", model: harness.model, seconds: "4" },
      ).catch((caught: unknown) => caught);
      expect(refused).toMatchObject({ retryable: false, status: 400, upstreamCode: "unsupported_operation" });
      expect(await sentTo(id)).toEqual([]);
    },
  );

  it.runIf(canDo(harness.provider, "characters"))("makes a character from a video file", async () => {
    const id = name("character");
    const provider = providerFor(channelOf(harness, id));
    const { upstreamId } = await provider.createCharacter!({
      name: "Mossy",
      video: { body: new Uint8Array(Buffer.from("a-video")), contentType: "video/mp4", filename: "mossy.mp4" },
    });
    expect(upstreamId).toMatch(/^char_/);
    const sent = (await sentTo(id)).find((entry) => entry.path.endsWith("/videos/characters"));
    expect(sent).toMatchObject({ status: 200, fields: ["name"], responseId: upstreamId });
    expect(sent?.files.map((file) => file.field)).toEqual(["video"]);
    const nameless = await provider.createCharacter!({
      name: "",
      video: { body: new Uint8Array([1]), contentType: "video/mp4", filename: "x.mp4" },
    }).catch((caught: unknown) => caught);
    expect(nameless).toMatchObject({ status: 400, retryable: false });
  });
});

describe("vertex's key file", () => {
  it("a missing key file is a retryable error naming it (the job fails over), not a crash", async () => {
    const harness = harnesses.find((candidate) => candidate.provider === "vertex")!;
    const provider = providerFor(channelOf(harness, "vertex-nokey", { key_file: join(keyDir, "absent.json") }));
    const error = await provider
      .submit({ model: harness.model, prompt: "a cat", seconds: "8", size: "1280x720", idempotencyKey: "v" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining("absent.json") });
  });
});

describe("kling's answer envelope", () => {
  it("code ≠ 0 is an error even on HTTP 200: a concurrency limit is retryable, a bad parameter is not", async () => {
    const harness = harnesses.find((candidate) => candidate.provider === "kling")!;
    const provider = providerFor(channelOf(harness, "kling-envelope"));
    const submit = () =>
      provider
        .submit({ model: harness.model, prompt: "a cat", seconds: "5", size: "1280x720", idempotencyKey: "v" })
        .catch((caught: unknown) => caught);
    await faults("kling-envelope", { submit: { status: 200, count: 1, body: { code: 1303, message: "busy" } } });
    expect(await submit()).toMatchObject({ retryable: true, upstreamCode: "kling_1303", upstreamMessage: "busy" });
    await faults("kling-envelope", { submit: { status: 200, count: 1, body: { code: 1201, message: "bad" } } });
    expect(await submit()).toMatchObject({ retryable: false, status: 400, upstreamCode: "kling_1201" });
    await faults("kling-envelope", { submit: { status: 200, count: 1, body: { code: 1301, message: "risk" } } });
    expect(await submit()).toMatchObject({ retryable: false, upstreamCode: "content_filtered" });
  });
});

describe("runway's task words and limits", () => {
  const harness = harnesses.find((candidate) => candidate.provider === "runway")!;

  it("polls a task at most every 5 s, as Runway asks, unless the channel sets its own pace", () => {
    expect(providerFor(channelOf(harness, "runway-pace")).pollIntervalMs).toBe(5000);
    expect(providerFor(channelOf(harness, "runway-pace2", { poll_interval_seconds: 2 })).pollIntervalMs).toBe(2000);
  });

  const submit = (provider: Provider, prompt: string) =>
    provider.submit({ model: harness.model, prompt, seconds: "5", size: "1280x720", idempotencyKey: "v" });

  it("THROTTLED and PENDING are queued, RUNNING is in_progress with Runway's 0..1 progress", async () => {
    const id = "runway-words";
    const provider = providerFor(channelOf(harness, id));
    await faults(id, { jobDurationMs: 60_000 });
    const throttled = await submit(provider, "a cat [throttled]");
    const pending = await submit(provider, "a cat");
    for (const { upstreamId } of [throttled, pending])
      expect(await provider.status(upstreamId)).toMatchObject({ status: "queued", progress: 0 });
    const raw = (await (
      await fetch(`${root}/c/${id}/runway/v1/tasks/${throttled.upstreamId}`, {
        headers: { authorization: `Bearer ${GOOD_KEY}`, "x-runway-version": "2024-11-06" },
      })
    ).json()) as { status: string };
    expect(raw.status).toBe("THROTTLED");
    // Queued for its first 0.4 s, then running for 1.6 s: the poll that first sees it leave the queue sees it running
    // (or, on a machine slow enough to miss those 1.6 s, finished).
    await faults(id, { jobDurationMs: 2000 });
    const running = await submit(provider, "a running cat");
    const deadline = Date.now() + 20_000;
    let report = await provider.status(running.upstreamId);
    while (report.status === "queued" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      report = await provider.status(running.upstreamId);
    }
    expect(["in_progress", "completed"]).toContain(report.status);
    if (report.status === "in_progress") expect(report.progress).toBeGreaterThanOrEqual(1);
    if (report.status === "in_progress") expect(report.progress).toBeLessThanOrEqual(99);
  });

  it("an uploaded file over 16 MB is refused video_too_large before anything is sent", async () => {
    const id = "runway-big-upload";
    const refused = await providerFor(channelOf(harness, id)).edit!(
      { kind: "upload", body: new Uint8Array(16 * 1024 * 1024 + 1), contentType: "video/mp4", filename: "big.mp4" },
      { prompt: "more", model: harness.model },
    ).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ retryable: false, status: 400, upstreamCode: "video_too_large" });
    expect(await sentTo(id)).toEqual([]);
  });
});

describe("luma's extensions", () => {
  it("an extension of an extension adds up: each report is the stitched total", async () => {
    const harness = harnesses.find((candidate) => candidate.provider === "luma")!;
    const provider = providerFor(channelOf(harness, "luma-chain"));
    const source = await provider.submit({
      model: harness.model,
      prompt: "a cat",
      seconds: "5",
      size: "1280x720",
      idempotencyKey: "v",
    });
    expect(await followToEnd(provider, source)).toMatchObject({ status: "completed", seconds: "5" });
    const once = await provider.extend!(
      { kind: "job", upstreamId: source.upstreamId },
      { prompt: "then", model: harness.model, seconds: "9" },
    );
    expect(await followToEnd(provider, once)).toMatchObject({ status: "completed", seconds: "14" });
    const twice = await provider.extend!(
      { kind: "job", upstreamId: once.upstreamId },
      { prompt: "and then", model: harness.model, seconds: "5" },
    );
    expect(await followToEnd(provider, twice)).toMatchObject({ status: "completed", seconds: "19" });
    // An unfinished source cannot be extended: refused before anything is made.
    await faults("luma-chain", { jobDurationMs: 60_000 });
    const pending = await provider.submit({
      model: harness.model,
      prompt: "slow",
      seconds: "5",
      size: "1280x720",
      idempotencyKey: "w",
    });
    expect(
      await provider.extend!(
        { kind: "job", upstreamId: pending.upstreamId },
        { prompt: "x", model: harness.model, seconds: "5" },
      ).catch((caught: unknown) => caught),
    ).toMatchObject({ status: 400, retryable: false, upstreamCode: "extend_source_unavailable" });
  });
});

describe("minimax's base_resp", () => {
  it("status_code ≠ 0 is an error even on HTTP 200: a rate limit is retryable, a bad parameter is not", async () => {
    const harness = harnesses.find((candidate) => candidate.provider === "minimax")!;
    const provider = providerFor(channelOf(harness, "minimax-envelope"));
    const submit = (overrides: Partial<SubmitRequest> = {}) =>
      provider
        .submit({
          model: harness.model,
          prompt: "a cat",
          seconds: "6",
          size: "1366x768",
          idempotencyKey: "v",
          ...overrides,
        })
        .catch((caught: unknown) => caught);
    const busy = { status_code: 1002, status_msg: "rate limit exceeded" };
    await faults("minimax-envelope", { submit: { status: 200, count: 1, body: { base_resp: busy } } });
    expect(await submit()).toMatchObject({ retryable: true, status: 429, upstreamCode: "minimax_1002" });
    const sensitive = { status_code: 1026, status_msg: "input new_sensitive" };
    await faults("minimax-envelope", { submit: { status: 200, count: 1, body: { base_resp: sensitive } } });
    expect(await submit()).toMatchObject({ retryable: false, upstreamCode: "content_filtered" });
    // The simulator refuses 10 s at 1080P as MiniMax does: a 2013 on HTTP 200.
    expect(await submit({ seconds: "10", size: "1920x1080" })).toMatchObject({
      retryable: false,
      status: 400,
      upstreamCode: "minimax_2013",
      upstreamMessage: expect.stringContaining("1080P"),
    });
    // A good one, at 768P: the report names the pixels made.
    const submitted = (await submit()) as { upstreamId: string };
    expect(await followToEnd(provider, submitted)).toMatchObject({ status: "completed", size: "1366x768" });
  });
});

describe("media links", () => {
  it("a link past its lifetime is refused, and the adapter asks the task again on each download", async () => {
    const harness = harnesses.find((candidate) => candidate.provider === "dashscope")!;
    const id = "dashscope-expiry";
    const provider = providerFor(channelOf(harness, id));
    await faults(id, { linkTtlMs: 0 });
    const submitted = await provider.submit({
      model: harness.model,
      prompt: "a cat",
      seconds: "5",
      size: "1280x720",
      idempotencyKey: "v",
    });
    await followToEnd(provider, submitted);
    expect(await provider.content(submitted.upstreamId, "video").catch((caught: unknown) => caught)).toMatchObject({
      status: 403,
    });
  });

  it("Veo's download goes to the API host with the key and is redirected, without it, to a second host", async () => {
    const harness = harnesses.find((candidate) => candidate.provider === "gemini")!;
    const id = "gemini-media";
    const provider = providerFor(channelOf(harness, id));
    const submitted = await provider.submit({
      model: harness.model,
      prompt: "a cat",
      seconds: "8",
      size: "1280x720",
      idempotencyKey: "v",
    });
    await followToEnd(provider, submitted);
    await sha256Of((await provider.content(submitted.upstreamId, "video")).body);
    const all = (await control("/_control/requests")) as Array<{ path: string; headers: Record<string, string> }>;
    const download = all.find((entry) => entry.path.startsWith(`/c/${id}/v1beta/files/`));
    const media = all.find((entry) => entry.path.startsWith(`/c/${id}/media/`));
    expect(download?.headers["x-goog-api-key"]).toBe("[redacted]");
    expect(media?.headers.host).toMatch(/^localhost:/);
    expect(media?.headers["x-goog-api-key"]).toBeUndefined();
  });
});
