import { Readable } from "node:stream";
import { testNats } from "@reelgate/testkit";
import { providerFor } from "@reelgate/upstream";
import { describe, expect, it } from "vitest";
import { type JobsDeps, jobs } from "../src/handlers/jobs.ts";
import { ctx, funded, newId, pollerHarness, requested } from "./support/poller-harness.ts";

const nats = testNats();

describe.skipIf(!nats.url)("poller: edits and extensions on real NATS KV, SQLite and the simulator", () => {
  const { root, channel, poller, follow, control } = pollerHarness(nats.url!);

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
    // Kling makes 5 or 10 s, Luma 5 or 9 s.
    await handlers.onVideoRequested(
      requested(id, model, model === "kling" || model === "luma" ? { seconds: "5" } : {}),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    const state = await handlers.records.load(id);
    expect(state.outcome).toBe("completed");
    return { id, upstreamId: state.completion!.upstreamId, channelId: state.completion!.channelId };
  };
  const sentTo = async (name: string) =>
    (await (await control(name, "requests")).json()) as Array<{
      method: string;
      path: string;
      headers: Record<string, string>;
      fields: string[];
      files: Array<{ field: string; size: number }>;
      body?: Record<string, unknown>;
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
    const kling = channel("upload-kling", {
      provider: "kling",
      base_url: `${root()}/c/upload-kling/kling`,
      priority: 0,
    });
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
      base_url: `${root()}/c/cannot-kling/kling`,
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
      base_url: `${root()}/c/ext-kling/kling`,
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

  it("Luma extends a generation it made, pinned to its channel: frame0 names the source, the total completes", async () => {
    const luma = channel("ext-luma", {
      provider: "luma",
      base_url: `${root()}/c/ext-luma/luma/dream-machine/v1`,
      models: { luma: "ray-2" },
    });
    const { handlers, deps } = await poller([luma]);
    const source = await finished(handlers, "luma");
    // Another channel of the model, preferred now: the extension still goes where its source lives.
    deps.channels = () => [channel("ext-luma-b", { priority: -5, models: { luma: "luma" } }), luma];
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "luma", { operation: "extend", sourceVideoId: source.id, seconds: "5", sourceSeconds: "5" }),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "ext-luma", seconds: "10" });
    const extension = (await sentTo("ext-luma")).filter((entry) => entry.path.endsWith("/generations")).at(-1);
    expect(extension?.body).toMatchObject({
      model: "ray-2",
      duration: "5s",
      keyframes: { frame0: { type: "generation", id: source.upstreamId } },
    });
    expect(await sentTo("ext-luma-b")).toEqual([]);
  });

  it("Runway edits a video it made: video_to_video of the source task's output link", async () => {
    const runway = channel("edit-runway", {
      provider: "runway",
      base_url: `${root()}/c/edit-runway/runway`,
      models: { runway: "gen4.5" },
      // Runway's own pace is 5 s between polls of a task; the simulator's jobs take 0.3 s.
      poll_interval_seconds: 0.1,
    });
    const { handlers, deps } = await poller([runway]);
    const source = await finished(handlers, "runway");
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "runway", { operation: "edit", sourceVideoId: source.id, prompt: "make it night" }),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "edit-runway", seconds: "4" });
    const edit = (await sentTo("edit-runway")).find((entry) => entry.path.endsWith("/v1/video_to_video"));
    expect(edit?.body).toMatchObject({
      model: "aleph2",
      promptText: "make it night",
      videoUri: expect.stringContaining(`/media/${source.upstreamId}.mp4`),
    });
    expect(edit?.headers["x-runway-version"]).toBe("2024-11-06");
  });

  it("Veo (Gemini API) extends a video it made: the job records the stitched total, which Veo does not report", async () => {
    const veo = channel("ext-veo", {
      provider: "gemini",
      base_url: `${root()}/c/ext-veo/v1beta`,
      models: { "veo-3.1": "veo-3.1-generate-preview" },
      poll_interval_seconds: 0.05,
    });
    const { handlers, deps } = await poller([veo]);
    const source = await finished(handlers, "veo-3.1");
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "veo-3.1", { operation: "extend", sourceVideoId: source.id, seconds: "7", sourceSeconds: "4" }),
    );
    await submit(handlers, id);
    await follow(handlers, id);
    expect(await completedOf(deps.store, id)).toMatchObject({ channelId: "ext-veo", seconds: "11" });
    const sent = (await (await control("ext-veo", "requests")).json()) as Array<{ path: string; body?: unknown }>;
    expect(sent.filter((entry) => entry.path.endsWith(":predictLongRunning")).at(-1)?.body).toMatchObject({
      instances: [{ video: { uri: expect.stringContaining("/files/") } }],
      parameters: { durationSeconds: 7 },
    });
  });

  it("an extension Veo refuses (a 1080p source: Veo extends 720p only) ends failed, not retried elsewhere", async () => {
    const veo = channel("ext-veo-1080", {
      provider: "gemini",
      base_url: `${root()}/c/ext-veo-1080/v1beta`,
      models: { "veo-3.1": "veo-3.1-generate-preview" },
      poll_interval_seconds: 0.05,
    });
    const { handlers } = await poller([veo]);
    const sourceId = newId();
    await handlers.onVideoRequested(requested(sourceId, "veo-3.1", { seconds: "8", size: "1920x1080" }));
    await submit(handlers, sourceId);
    await follow(handlers, sourceId);
    expect((await handlers.records.load(sourceId)).outcome).toBe("completed");
    const id = newId();
    await handlers.onVideoRequested(
      requested(id, "veo-3.1", { operation: "extend", sourceVideoId: sourceId, seconds: "7", sourceSeconds: "8" }),
    );
    await submit(handlers, id);
    const state = await handlers.records.load(id);
    expect(state.outcome).toBe("failed");
    expect(state.submission).toBeUndefined();
    expect(state.failure?.message).toContain("720p");
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
