import { createHash } from "node:crypto";
import { join } from "node:path";
import { openSqliteEventStore } from "@reelgate/event-store";
import { testNats, waitFor } from "@reelgate/testkit";
import { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyPng } from "./images.ts";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();

interface RecordedRequest {
  channel: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  files: Array<{ field: string; sha256: string }>;
  status?: number;
  responseId?: string;
}

/** Four channels on the simulator: two OpenAI-shaped for sora-2 (a first, b as failover), Azure for sora-2-pro, chat-sse for sora_video2. */
const channelsYaml =
  ({ disableA = false } = {}) =>
  (simulator: string) =>
    `
channels:
  - id: a
    provider: openai
    base_url: ${simulator}/c/a/v1
    api_key: key-a
    models: { sora-2: sora-2 }
    priority: 0
    disabled: ${disableA}
  - id: b
    provider: openai
    base_url: ${simulator}/c/b/v1
    api_key: key-b
    models: { sora-2: sora-2 }
    priority: 1
  - id: az
    provider: azure
    base_url: ${simulator}/c/az
    api_key: key-az
    api_version: 2025-04-01-preview
    models: { sora-2-pro: sora-2-pro }
  - id: chat
    provider: chat-sse
    base_url: ${simulator}/c/chat/v1
    api_key: key-chat
    models:
      sora_video2: sora_video2
      sora_video2-landscape: sora_video2-landscape
      sora_video2-15s: sora_video2-15s
      sora_video2-landscape-15s: sora_video2-landscape-15s
`;

describe.skipIf(!nats.url)("upstream channels: three providers, failover, remix on the source's channel", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  beforeAll(async () => {
    platform = await startPlatformWithChannels(nats.url!, channelsYaml());
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const requests = () => platform.simulator<RecordedRequest[]>("/_control/requests");
  /** The upstream calls made for one video: submits carry its id as the idempotency key. */
  const submitsFor = async (videoId: string) =>
    (await requests()).filter((request) => request.headers["idempotency-key"] === videoId);
  const setFaults = (channel: string, faults: object) =>
    platform.simulator(`/c/${channel}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(faults),
    });
  const clearFaults = (channel: string) => platform.simulator(`/c/${channel}/_control/faults`, { method: "DELETE" });
  const servedSha256 = (channel: string, jobId: string) =>
    platform.simulator<{ sha256: string }>(`/c/${channel}/_control/jobs/${jobId}/sha256?variant=video`);
  const downloadSha256 = async (client: Awaited<ReturnType<typeof platform.account>>["client"], id: string) =>
    createHash("sha256")
      .update(Buffer.from(await (await client.videos.downloadContent(id)).arrayBuffer()))
      .digest("hex");

  it("openai shape: completes on the first channel, with the simulator's bytes", async () => {
    const { accountId, client } = await platform.account("5");
    const created = await client.videos.create({ model: "sora-2", prompt: "openai shape", seconds: "4" });
    expect((await waitForEnd(client, created.id)).status).toBe("completed");
    const [submit] = await submitsFor(created.id);
    expect(submit).toMatchObject({ channel: "a", method: "POST", path: "/c/a/v1/videos", status: 200 });
    expect(submit?.headers.authorization).toBe("[redacted]");
    expect(await downloadSha256(client, created.id)).toBe((await servedSha256("a", submit!.responseId!)).sha256);
    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("4.600000");
  });

  it("azure shape: /openai/v1/videos with an api-key header and api-version, the input image as a file part", async () => {
    const { client } = await platform.account("10");
    const created = await client.videos.create({
      model: "sora-2-pro",
      prompt: "azure shape",
      seconds: "4",
      size: "720x1280",
      input_reference: await toFile(tinyPng, "frame.png", { type: "image/png" }),
    });
    expect((await waitForEnd(client, created.id)).status).toBe("completed");
    const [submit] = await submitsFor(created.id);
    expect(submit).toMatchObject({
      channel: "az",
      path: "/c/az/openai/v1/videos",
      query: { "api-version": "2025-04-01-preview" },
      status: 200,
    });
    expect(submit?.headers["api-key"]).toBe("[redacted]");
    expect(submit?.headers.authorization).toBeUndefined();
    expect(submit?.files.map((file) => [file.field, file.sha256])).toEqual([
      ["input_reference", createHash("sha256").update(tinyPng).digest("hex")],
    ]);
    const polls = (await requests()).filter(
      (request) => request.path === `/c/az/openai/v1/videos/${submit?.responseId}`,
    );
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((poll) => poll.query["api-version"] === "2025-04-01-preview")).toBe(true);
    expect(await downloadSha256(client, created.id)).toBe((await servedSha256("az", submit!.responseId!)).sha256);
  });

  it("chat-sse shape: the stream's link is the video; the model name fixes size and length; 0.15 per request", async () => {
    const { accountId, client } = await platform.account("1");
    const created = await client.videos.create({ model: "sora_video2-landscape-15s" as never, prompt: "chat shape" });
    const done = await waitForEnd(client, created.id);
    expect(done).toMatchObject({ status: "completed", size: "1280x704", seconds: "15", progress: 100 });
    const jobs =
      await platform.simulator<Array<{ id: string; prompt: string; model: string }>>("/c/chat/_control/jobs");
    const job = jobs.find((candidate) => candidate.prompt === "chat shape");
    expect(job?.model).toBe("sora_video2-landscape-15s");
    const calls = (await requests()).filter((request) => request.responseId === job?.id);
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(["POST /c/chat/v1/chat/completions"]);
    expect(await downloadSha256(client, created.id)).toBe((await servedSha256("chat", job!.id)).sha256);
    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("0.850000");
  });

  it("a chat stream broken before its link ends failed, with the reason, and charges nothing", async () => {
    await setFaults("chat", { brokenStreams: 1 });
    const { accountId, client } = await platform.account("1");
    const created = await client.videos.create({ model: "sora_video2" as never, prompt: "chat broken" });
    const done = await waitForEnd(client, created.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("content_policy_violation");
    expect(done.error?.message).toMatch(/ended before it delivered a video.*content moderation/);
    await waitFor("the release", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("1.000000");
  });

  it("channel A answers 500 on submit, B works: the video completes on B", async () => {
    await setFaults("a", { submit: { status: 500 } });
    try {
      const { client } = await platform.account("5");
      const created = await client.videos.create({ model: "sora-2", prompt: "fails over", seconds: "4" });
      expect((await waitForEnd(client, created.id)).status).toBe("completed");
      const submits = await submitsFor(created.id);
      expect(submits.map((submit) => [submit.channel, submit.status])).toEqual([
        ["a", 500],
        ["b", 200],
      ]);
    } finally {
      await clearFaults("a");
    }
  });

  it("A and B both failing: the video ends failed after bounded tries and is charged nothing", async () => {
    await setFaults("a", { submit: { status: 503 } });
    await setFaults("b", { submit: { status: 500 } });
    try {
      const { accountId, client } = await platform.account("5");
      const created = await client.videos.create({ model: "sora-2", prompt: "nowhere to go", seconds: "4" });
      const done = await waitForEnd(client, created.id);
      expect(done.status).toBe("failed");
      expect(done.error?.code).toBe("upstream_unavailable");
      const submits = await submitsFor(created.id);
      expect(submits.length).toBe(5);
      expect(new Set(submits.map((submit) => submit.channel))).toEqual(new Set(["a", "b"]));
      await waitFor("the release", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
      expect((await platform.balance(accountId)).balance_usd).toBe("5.000000");
    } finally {
      await clearFaults("a");
      await clearFaults("b");
    }
  });

  it("a 400 fails the job at once with the upstream's message and tries no other channel", async () => {
    const message = "The prompt asks for something this model cannot make.";
    await setFaults("a", {
      submit: { status: 400, count: 1, body: { error: { message, type: "invalid_request_error", code: null } } },
    });
    const { accountId, client } = await platform.account("5");
    const created = await client.videos.create({ model: "sora-2", prompt: "wrong request", seconds: "4" });
    const done = await waitForEnd(client, created.id);
    expect(done.status).toBe("failed");
    expect(done.error?.message).toBe(message);
    expect((await submitsFor(created.id)).map((submit) => [submit.channel, submit.status])).toEqual([["a", 400]]);
    await waitFor("the release", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("5.000000");
  });

  it("a remix after the source's channel was disabled still goes to that channel", async () => {
    const { client } = await platform.account("5");
    const source = await client.videos.create({ model: "sora-2", prompt: "to be remixed", seconds: "4" });
    expect((await waitForEnd(client, source.id)).status).toBe("completed");
    const [sourceSubmit] = await submitsFor(source.id);
    expect(sourceSubmit?.channel).toBe("a");

    platform.writeChannels(channelsYaml({ disableA: true }));
    // The poller re-reads the file: new videos go to b from now on.
    await waitFor(
      "a new video to go to b",
      async () => {
        const probe = await client.videos.create({ model: "sora-2", prompt: "after the edit", seconds: "4" });
        await waitForEnd(client, probe.id);
        return (await submitsFor(probe.id)).at(-1)?.channel === "b";
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const remix = await client.videos.remix(source.id, { prompt: "now at night" });
    expect((await waitForEnd(client, remix.id)).status).toBe("completed");
    const [remixCall] = await submitsFor(remix.id);
    expect(remixCall).toMatchObject({
      channel: "a",
      method: "POST",
      path: `/c/a/v1/videos/${sourceSubmit?.responseId}/remix`,
      status: 200,
    });
    expect(await downloadSha256(client, remix.id)).toBe((await servedSha256("a", remixCall!.responseId!)).sha256);
  });

  it("a channel added to the file after start: storage copies a video that completed on it", async () => {
    const { client } = await platform.account("5");
    platform.writeChannels(
      (simulator) => `${channelsYaml()(simulator)}  - id: late
    provider: openai
    base_url: ${simulator}/c/late/v1
    api_key: key-late
    models: { sora-2: sora-2 }
    priority: -1
`,
    );
    // The poller re-reads the file and prefers the new channel; storage has to know it too to copy.
    const onLate = await waitFor(
      "a new video to go to the added channel",
      async () => {
        const probe = await client.videos.create({ model: "sora-2", prompt: "on the added channel", seconds: "4" });
        await waitForEnd(client, probe.id);
        const submit = (await submitsFor(probe.id)).at(-1);
        return submit?.channel === "late" ? { video: probe, submit } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const storage = openSqliteEventStore(join(platform.dataDir, "storage.events.db"));
    const assets = await waitFor("the video's media to be settled", async () => {
      const events = await storage.readStream(`asset-${onLate.video.id}`);
      return events.some((event) => (event.data as { variant?: string }).variant === "video") ? events : undefined;
    }).finally(() => storage.close());
    expect(assets.filter((event) => event.type === "MediaStorageFailed")).toEqual([]);
    const stored = assets.find(
      (event) => event.type === "MediaStored" && (event.data as { variant?: string }).variant === "video",
    );
    const served = await servedSha256("late", onLate.submit.responseId!);
    expect(stored?.data).toMatchObject({ sha256: served.sha256 });
    expect(await downloadSha256(client, onLate.video.id)).toBe(served.sha256);
  });
});
