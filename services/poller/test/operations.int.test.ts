import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { EventType, TypedEnvelope } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { buildSimulator } from "@reelgate/simulator";
import { testNats, uniqueNamespace } from "@reelgate/testkit";
import { type Channel, providerFor } from "@reelgate/upstream";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openChannelBucket } from "../src/adapters/channel-bucket.ts";
import { channelCoolDowns } from "../src/adapters/channel-cooldowns.ts";
import { channelSlots } from "../src/adapters/channel-slots.ts";
import { followClaims } from "../src/adapters/follow-claims.ts";
import { type JobsDeps, jobs } from "../src/handlers/jobs.ts";

const nats = testNats();
const log = pino({ level: "silent" });

describe.skipIf(!nats.url)("poller: edits and extensions on real NATS KV, SQLite and the simulator", () => {
  let nc: NatsConnection;
  let simulator: FastifyInstance;
  let root: string;
  let seq = 0;

  beforeAll(async () => {
    nc = await connect({ servers: nats.url! });
    simulator = await buildSimulator({ jobDurationMs: 300 });
    await simulator.listen({ port: 0, host: "127.0.0.1" });
    root = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await simulator?.close();
    await nc?.close();
  });

  const channel = (id: string, overrides: Partial<Channel> = {}): Channel => ({
    id,
    provider: "openai",
    base_url: `${root}/c/${id}/v1`,
    api_key: "k",
    models: { "sora-2": "sora-2", sora_video2: "sora_video2" },
    priority: 0,
    weight: 1,
    timeout_seconds: 5,
    disabled: false,
    ...overrides,
  });
  /** A poller with its own store and KV bucket; two made with one `namespace` act as two replicas. */
  const poller = async (channels: Channel[], overrides: Partial<JobsDeps> = {}, namespace = uniqueNamespace("p")) => {
    const dir = mkdtempSync(join(tmpdir(), "poller-"));
    const bucket = await openChannelBucket(nc, namespace);
    const coolDowns = await channelCoolDowns(bucket);
    const store = openSqliteEventStore(join(dir, "poller.events.db"));
    const deps: JobsDeps = {
      store,
      objects: fileStorage(join(dir, "media")),
      channels: () => channels,
      providerFor,
      slots: channelSlots(bucket, { isDone: (v, c) => handlers.holdsNoSlot(v, c), now: Date.now }),
      coolDowns,
      follows: followClaims(bucket),
      now: Date.now,
      random: Math.random,
      deadlineMs: 60_000,
      lateWindowMs: 60_000,
      maxSubmitAttempts: 5,
      onAppended: () => undefined,
      ...overrides,
    };
    const handlers: ReturnType<typeof jobs> = jobs(deps);
    const eventTypes = async (videoId: string) => (await store.readStream(`job-${videoId}`)).map((event) => event.type);
    return { handlers, deps, bucket, coolDowns, namespace, eventTypes };
  };

  const envelope = <T extends EventType>(type: T, data: object, accountId = "acct_1"): TypedEnvelope & { type: T } =>
    ({
      id: `evt_${++seq}`,
      type,
      schemaVersion: 1,
      stream: "x",
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: (data as { videoId: string }).videoId,
      causationId: null,
      accountId,
      data,
    }) as unknown as TypedEnvelope & { type: T };
  const requested = (videoId: string, model = "sora-2", extra: object = {}) =>
    envelope("VideoRequested", {
      videoId,
      accountId: "acct_1",
      model,
      seconds: "4",
      size: "720x1280",
      prompt: `prompt of ${videoId}`,
      quoteMicros: 400_000,
      remixedFromVideoId: null,
      inputReference: null,
      createdAt: 1,
      ...extra,
    });
  const funded = (videoId: string) =>
    envelope("FundsReserved", { videoId, amountMicros: 400_000, balanceMicros: 0, reservedMicros: 0 });
  const ctx = { working: () => undefined, log, deliveryCount: 1, streamSequence: 1 };
  const newId = () => `video_${uniqueNamespace("")}`;

  /** Runs the follow handler the way JetStream would: again and again, until it acks. */
  const follow = async (handlers: ReturnType<typeof jobs>, videoId: string) => {
    const state = await handlers.records.load(videoId);
    const submitted = envelope("JobSubmitted", state.submission!);
    for (;;) {
      const result = await handlers.onJobSubmitted(submitted, ctx);
      if (!result) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(result.retryInMs, 100)));
    }
  };

  /** Funds a job and drives its submit the way JetStream would, until the message is acked. */
  const submit = async (handlers: ReturnType<typeof jobs>, videoId: string, context = ctx) => {
    for (let result = await handlers.onFundsReserved(funded(videoId), context); result; ) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(result?.retryInMs ?? 0, 100)));
      result = await handlers.onFundsReserved(funded(videoId), context);
    }
  };
  /** A finished video made through the poller, as the source of an edit or extension. */
  const finished = async (handlers: ReturnType<typeof jobs>, model = "sora-2") => {
    const id = newId();
    // Kling makes 5 or 10 s.
    await handlers.onVideoRequested(requested(id, model, model === "kling" ? { seconds: "5" } : {}));
    await submit(handlers, id);
    await follow(handlers, id);
    const state = await handlers.records.load(id);
    expect(state.outcome).toBe("completed");
    return { id, upstreamId: state.completion!.upstreamId, channelId: state.completion!.channelId };
  };
  const sentTo = async (name: string) =>
    (await (await fetch(`${root}/c/${name}/_control/requests`)).json()) as Array<{
      method: string;
      path: string;
      headers: Record<string, string>;
      fields: string[];
      files: Array<{ field: string; size: number }>;
      responseId?: string;
    }>;
  const completedOf = async (store: JobsDeps["store"], videoId: string) =>
    (await store.readStream(`job-${videoId}`)).find((event) => event.type === "JobCompleted")?.data as
      | { channelId: string; seconds: string }
      | undefined;

  it("an edit goes to the channel that made its source, whatever the others' priority, and completes", async () => {
    const made = channel("edit-a", { priority: 5 });
    const { handlers, deps } = await poller([made]);
    const source = await finished(handlers);
    // A channel of the same model, preferred now: the edit still goes where its source lives.
    deps.channels = () => [channel("edit-b", { priority: 0 }), made];
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "sora-2", { operation: "edit", sourceVideoId: source.id, prompt: "make it night" }),
    );
    expect((await handlers.records.load(id)).request).toMatchObject({ operation: "edit", sourceVideoId: source.id });
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "edit-a", seconds: "4" });
    const edit = (await sentTo("edit-a")).find((entry) => entry.path.endsWith("/videos/edits"));
    expect(edit).toMatchObject({ method: "POST", fields: ["prompt", "video"], headers: { "idempotency-key": id } });
    expect(await sentTo("edit-b")).toEqual([]);
  });

  it("an extension completes with the stitched total the upstream reports", async () => {
    const { handlers, deps } = await poller([channel("extend-a")]);
    const source = await finished(handlers);
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "sora-2", { operation: "extend", sourceVideoId: source.id, seconds: "8", sourceSeconds: "4" }),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "extend-a", seconds: "12" });
  });

  it("an extension of an uploaded file goes to a channel of the model whose provider takes a file", async () => {
    const kling = channel("upload-kling", { provider: "kling", base_url: `${root}/c/upload-kling/kling`, priority: 0 });
    const openai = channel("upload-openai", { priority: 9 });
    const { handlers, deps } = await poller([openai]);
    // The file: a finished video's bytes, stored where ingress stores uploads.
    const source = await finished(handlers);
    const media = await providerFor(openai).content(source.upstreamId, "video");
    const file = Buffer.from(await new Response(media.body).arrayBuffer());
    const key = `inputs/acct_1/${newId()}.mp4`;
    await deps.objects.put(key, Readable.from([file]), "video/mp4");
    deps.channels = () => [kling, openai];
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "sora-2", {
        operation: "extend",
        sourceUpload: { key, contentType: "video/mp4", bytes: file.length },
        seconds: "4",
        sourceSeconds: "4",
      }),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "upload-openai", seconds: "8" });
    const sent = (await sentTo("upload-openai")).find((entry) => entry.path.endsWith("/videos/extensions"));
    expect(sent?.files).toEqual([expect.objectContaining({ field: "video", size: file.length })]);
    expect(await sentTo("upload-kling")).toEqual([]);
  });

  it("a job whose channel cannot do the operation ends failed (unsupported_operation) and sends nothing", async () => {
    const kling = channel("cannot-kling", {
      provider: "kling",
      base_url: `${root}/c/cannot-kling/kling`,
      api_secret: "secret-k",
      models: { kling: "kling-v1-6" },
    });
    const { handlers, eventTypes } = await poller([kling]);
    const source = await finished(handlers, "kling");
    const before = (await sentTo("cannot-kling")).length;
    const edit = newId();
    await handlers.onVideoRequested(requested(edit, "kling", { operation: "edit", sourceVideoId: source.id }));
    await submit(handlers, edit);
    expect((await handlers.records.load(edit)).failure?.code).toBe("unsupported_operation");
    expect(await eventTypes(edit)).toEqual(["JobQueued", "JobFailed"]);
    const upload = newId();
    await handlers.onVideoRequested(
      requested(upload, "kling", {
        operation: "extend",
        sourceUpload: { key: "inputs/acct_1/x.mp4", contentType: "video/mp4", bytes: 3 },
      }),
    );
    await submit(handlers, upload);
    expect((await handlers.records.load(upload)).failure?.code).toBe("unsupported_operation");
    expect((await sentTo("cannot-kling")).length).toBe(before);
  });

  it("Kling extends a video it made, pinned to its channel", async () => {
    const kling = channel("ext-kling", {
      provider: "kling",
      base_url: `${root}/c/ext-kling/kling`,
      api_secret: "secret-k",
      models: { kling: "kling-v1-6" },
    });
    const { handlers, deps } = await poller([kling]);
    const source = await finished(handlers, "kling");
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "kling", { operation: "extend", sourceVideoId: source.id, seconds: "5", sourceSeconds: "5" }),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "ext-kling", seconds: "10" });
  });

  it("an edit whose poller died after the upstream took it is resumed with its key: one upstream job", async () => {
    const { handlers, deps } = await poller([channel("edit-crash")]);
    const source = await finished(handlers);
    const id = newId();
    await handlers.onVideoRequested(requested(id, "sora-2", { operation: "edit", sourceVideoId: source.id }));
    const crashing = jobs({
      ...deps,
      crashPoint: () => {
        throw new Error("killed at submit-accepted");
      },
    });
    await expect(crashing.onFundsReserved(funded(id), ctx)).rejects.toThrow("killed");
    expect((await handlers.records.load(id)).unsettled).toBeDefined();
    await submit(handlers, id);
    await follow(handlers, id);
    const edits = (await sentTo("edit-crash")).filter((entry) => entry.path.endsWith("/videos/edits"));
    expect(edits).toHaveLength(2);
    expect(new Set(edits.map((entry) => entry.responseId)).size).toBe(1);
    expect((await handlers.records.load(id)).outcome).toBe("completed");
  });
});
