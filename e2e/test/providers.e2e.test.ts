import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInCatalog, priceOf } from "@reelgate/contracts";
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
  status?: number;
  responseId?: string;
  body?: Record<string, unknown>;
}

const keyDir = mkdtempSync(join(tmpdir(), "reelgate-vertex-key-"));
const vertexKey = (simulator: string) => {
  const file = join(keyDir, "service-account.json");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(
    file,
    JSON.stringify({
      type: "service_account",
      client_email: "reelgate-e2e@sim.iam.gserviceaccount.com",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      token_uri: `${simulator}/oauth2/token`,
    }),
  );
  return file;
};

/**
 * Channel ids no answer may name; the polls of the new providers are paced at 0.2 s here (Veo's own is 10 s). The
 * simulator serves media links on its other loopback name, so the link-handing channels list both as media_hosts.
 */
const channelsYaml = (simulator: string) => `
channels:
  - id: chan-gemini
    provider: gemini
    base_url: ${simulator}/c/chan-gemini/v1beta
    api_key: gemini-key
    models: { veo-3.1: veo-3.1-generate-preview }
    priority: 0
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
  - id: chan-vertex
    provider: vertex
    base_url: ${simulator}/c/chan-vertex/vertex/v1
    key_file: ${vertexKey(simulator)}
    project: sim-project
    location: us-central1
    models: { veo-3.1: veo-3.1-generate-preview }
    priority: 1
    poll_interval_seconds: 0.2
  - id: chan-kling
    provider: kling
    base_url: ${simulator}/c/chan-kling/kling
    api_key: kling-access
    api_secret: secret-kling-access
    models: { kling-v2: kling-v2-master }
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
  - id: chan-wan
    provider: dashscope
    base_url: ${simulator}/c/chan-wan/dashscope/api/v1
    api_key: wan-key
    models: { wan2.5: { text: wan2.5-t2v-preview, image: wan2.5-i2v-preview } }
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
  - id: chan-ark
    provider: ark
    base_url: ${simulator}/c/chan-ark/ark/api/v3
    api_key: ark-key
    models: { seedance-1.0-pro: seedance-1-0-pro-250528 }
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
`;

/** A string as the simulator's request log keeps it: over 256 characters, its digest and length. */
const recorded = (text: string) =>
  text.length > 256 ? `sha256:${createHash("sha256").update(text).digest("hex")} (${text.length} chars)` : text;

interface Case {
  model: string;
  channel: string;
  seconds: string;
  /** What the upstream must have received for a 1920x1080 text job (SPEC §3). */
  text: (body: Record<string, unknown>) => void;
  /**
   * What it must have received for a 720x1280 image job (tinyPng's own size, so input fitting leaves it as sent;
   * the simulator records strings over 256 characters as their digest, `recorded` below).
   */
  image: (body: Record<string, unknown>) => void;
}

const cases: Case[] = [
  {
    model: "veo-3.1",
    channel: "chan-gemini",
    seconds: "8",
    text: (body) =>
      expect(body).toMatchObject({
        instances: [{ prompt: "veo-3.1 text" }],
        parameters: { aspectRatio: "16:9", resolution: "1080p", durationSeconds: 8 },
      }),
    image: (body) =>
      expect(body).toMatchObject({
        instances: [{ image: { mimeType: "image/png", bytesBase64Encoded: recorded(tinyPng.toString("base64")) } }],
        parameters: { aspectRatio: "9:16", resolution: "720p" },
      }),
  },
  {
    model: "kling-v2",
    channel: "chan-kling",
    seconds: "10",
    text: (body) =>
      expect(body).toMatchObject({ model_name: "kling-v2-master", aspect_ratio: "16:9", mode: "pro", duration: "10" }),
    image: (body) =>
      expect(body).toMatchObject({ mode: "std", aspect_ratio: "9:16", image: recorded(tinyPng.toString("base64")) }),
  },
  {
    model: "wan2.5",
    channel: "chan-wan",
    seconds: "5",
    text: (body) =>
      expect(body).toMatchObject({ model: "wan2.5-t2v-preview", parameters: { size: "1920*1080", duration: 5 } }),
    image: (body) =>
      expect(body).toMatchObject({
        model: "wan2.5-i2v-preview",
        input: { img_url: recorded(`data:image/png;base64,${tinyPng.toString("base64")}`) },
        parameters: { resolution: "720P", duration: 5 },
      }),
  },
  {
    model: "seedance-1.0-pro",
    channel: "chan-ark",
    seconds: "5",
    text: (body) =>
      expect(body).toMatchObject({
        model: "seedance-1-0-pro-250528",
        content: [{ type: "text", text: "seedance-1.0-pro text --resolution 1080p --ratio 16:9 --duration 5" }],
      }),
    image: (body) =>
      expect(body).toMatchObject({
        content: [
          { type: "text", text: "seedance-1.0-pro image --resolution 720p --ratio 9:16 --duration 5" },
          { type: "image_url", image_url: { url: recorded(`data:image/png;base64,${tinyPng.toString("base64")}`) } },
        ],
      }),
  },
];

const micros = (usd: string) => Math.round(Number(usd) * 1_000_000);

describe.skipIf(!nats.url)("providers after Sora through the openai SDK: Veo, Kling, Wan, Seedance", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  beforeAll(async () => {
    platform = await startPlatformWithChannels(nats.url!, channelsYaml);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const requests = (channel: string) => platform.simulator<RecordedRequest[]>(`/c/${channel}/_control/requests`);
  const servedSha256 = (channel: string, jobId: string) =>
    platform.simulator<{ sha256: string }>(`/c/${channel}/_control/jobs/${jobId}/sha256?variant=video`);
  const setFaults = (channel: string, faults: object) =>
    platform.simulator(`/c/${channel}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(faults),
    });
  const settled = async (accountId: string) => {
    await waitFor(
      "the reservation to end",
      async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
    );
    return micros((await platform.balance(accountId)).balance_usd);
  };
  /** The submit that made the job of a prompt, found by its prompt in the recorded body. */
  const submitOf = async (channel: string, prompt: string) =>
    (await requests(channel)).find(
      (request) => request.method === "POST" && request.responseId && JSON.stringify(request.body).includes(prompt),
    );
  const noUpstreamNames = (answer: unknown) => {
    const text = JSON.stringify(answer);
    expect(text).not.toMatch(/sim_[0-9a-f]{6}|chan-|operations\//);
  };

  it.each(cases)(
    "$model: text and image jobs, mapped as SPEC §3 says, the upstream's bytes, the catalog price",
    async (c) => {
      const { accountId, client } = await platform.account("20");
      const start = await settled(accountId);

      const text = await client.videos.create({
        model: c.model as never,
        prompt: `${c.model} text`,
        seconds: c.seconds as never,
        size: "1920x1080" as never,
      });
      noUpstreamNames(text);
      const textDone = await waitForEnd(client, text.id);
      expect(textDone, platform.logs).toMatchObject({ status: "completed", size: "1920x1080", seconds: c.seconds });
      noUpstreamNames(textDone);
      const textSubmit = await submitOf(c.channel, `${c.model} text`);
      c.text(textSubmit?.body ?? {});

      const image = await client.videos.create({
        model: c.model as never,
        prompt: `${c.model} image`,
        seconds: c.seconds as never,
        size: "720x1280" as never,
        input_reference: await toFile(tinyPng, "frame.png", { type: "image/png" }),
      });
      const imageDone = await waitForEnd(client, image.id);
      expect(imageDone, platform.logs).toMatchObject({ status: "completed", size: "720x1280" });
      noUpstreamNames(imageDone);
      const imageSubmit = await submitOf(c.channel, `${c.model} image`);
      c.image(imageSubmit?.body ?? {});

      for (const [video, submit] of [
        [text, textSubmit],
        [image, imageSubmit],
      ] as const) {
        const bytes = Buffer.from(await (await client.videos.downloadContent(video.id)).arrayBuffer());
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(
          (await servedSha256(c.channel, submit!.responseId!)).sha256,
        );
      }
      const price = (size: string) => priceOf({ model: c.model, seconds: c.seconds, size }, builtInCatalog)!;
      expect(start - (await settled(accountId))).toBe(price("1920x1080") + price("720x1280"));
      noUpstreamNames(await client.videos.list());
    },
  );

  it.each(cases)("$model: a filtered prompt ends failed and costs nothing", async (c) => {
    const { accountId, client } = await platform.account("20");
    const start = await settled(accountId);
    const created = await client.videos.create({
      model: c.model as never,
      prompt: `${c.model} [filtered]`,
      seconds: c.seconds as never,
      size: "1280x720" as never,
    });
    const done = await waitForEnd(client, created.id);
    expect(done, platform.logs).toMatchObject({ status: "failed", error: { code: "content_filtered" } });
    noUpstreamNames(done);
    expect(await settled(accountId)).toBe(start);
  });

  it("failover across providers: a gemini channel answering 503 hands the job to vertex for the same model, charged once", async () => {
    const { accountId, client } = await platform.account("20");
    const start = await settled(accountId);
    await setFaults("chan-gemini", { submit: { status: 503, count: 1 } });
    const created = await client.videos.create({
      model: "veo-3.1" as never,
      prompt: "veo failover",
      seconds: "8" as never,
      size: "1280x720" as never,
    });
    const done = await waitForEnd(client, created.id);
    expect(done, platform.logs).toMatchObject({ status: "completed" });
    noUpstreamNames(done);
    const refused = (await requests("chan-gemini")).filter(
      (request) => request.status === 503 && JSON.stringify(request.body).includes("veo failover"),
    );
    expect(refused).toHaveLength(1);
    const made = await submitOf("chan-vertex", "veo failover");
    expect(made?.path).toBe(
      "/c/chan-vertex/vertex/v1/projects/sim-project/locations/us-central1/publishers/google/models/veo-3.1-generate-preview:predictLongRunning",
    );
    const bytes = Buffer.from(await (await client.videos.downloadContent(created.id)).arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(
      (await servedSha256("chan-vertex", made!.responseId!)).sha256,
    );
    const price = priceOf({ model: "veo-3.1", seconds: "8", size: "1280x720" }, builtInCatalog)!;
    expect(start - (await settled(accountId))).toBe(price);
  });

  it("an extension of a video Vertex made goes to Vertex, sends the source's inline bytes back, and shows source + 7 s", async () => {
    const { accountId, client } = await platform.account("20");
    // The gemini channel refuses once, so the source is made on vertex (priority 1) and the extension pinned there.
    await setFaults("chan-gemini", { submit: { status: 503, count: 1 } });
    const source = await client.videos.create({
      model: "veo-3.1" as never,
      prompt: "vertex extension source",
      seconds: "8" as never,
      size: "1280x720" as never,
    });
    expect((await waitForEnd(client, source.id)).status, platform.logs).toBe("completed");
    const start = await settled(accountId);
    const extension = await client.videos.extend({
      prompt: "vertex continues",
      seconds: "7" as never,
      video: { id: source.id },
    });
    const done = await waitForEnd(client, extension.id);
    expect(done, platform.logs).toMatchObject({ status: "completed", seconds: "15" });
    noUpstreamNames(done);
    const sent = await submitOf("chan-vertex", "vertex continues");
    expect(sent?.body).toMatchObject({
      instances: [{ video: { bytesBase64Encoded: expect.stringMatching(/^sha256:/), mimeType: "video/mp4" } }],
      parameters: { durationSeconds: 7 },
    });
    expect(await submitOf("chan-gemini", "vertex continues")).toBeUndefined();
    const added = priceOf({ model: "veo-3.1", seconds: "7", size: "1280x720" }, builtInCatalog, undefined, {
      extension: true,
    })!;
    expect(start - (await settled(accountId))).toBe(added);
  });

  it("remix of a Veo video is refused as unsupported_operation, and nothing is charged", async () => {
    const { accountId, client } = await platform.account("20");
    const created = await client.videos.create({
      model: "veo-3.1" as never,
      prompt: "veo remix source",
      seconds: "4" as never,
      size: "720x1280" as never,
    });
    expect((await waitForEnd(client, created.id)).status).toBe("completed");
    const before = await settled(accountId);
    const refused = await client.videos.remix(created.id, { prompt: "again" }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: "unsupported_operation" });
    expect((refused as Error).message).toContain("veo-3.1");
    expect(await settled(accountId)).toBe(before);
  });
});
