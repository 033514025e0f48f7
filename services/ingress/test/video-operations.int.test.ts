import { builtInCatalog, priceOf } from "@reelgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CharacterMaker } from "../src/application/characters.ts";
import { form, type Ingress, ingress, KEY, multipartHeaders, OTHER_KEY, POOR_KEY } from "./harness.ts";
import { completeVideo } from "./support/complete-video.ts";

const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });
const mp4 = Buffer.from("00000018667479706d703432", "hex");

/** Edits, extensions and characters (issue 13.1) on ingress alone: channels and the upstream are stubbed ports. */
describe("POST /v1/videos/edits and /extensions, characters", () => {
  let api: Ingress;
  let source: string;
  let onChatSse: string;
  let running: string;
  const made: { name: string; bytes: number; filename: string }[] = [];
  const maker: CharacterMaker = {
    async create({ name, video }) {
      made.push({ name, bytes: video.body.length, filename: video.filename });
      return { channelId: "sim", upstreamId: `up_${made.length}` };
    },
  };
  const post = (url: string, payload: object, key = KEY) =>
    api.app.inject({ method: "POST", url, headers: auth(key), payload });
  const create = async (key = KEY) => (await post("/v1/videos", { prompt: "source" }, key)).json().id as string;

  beforeAll(async () => {
    api = await ingress({
      characterMaker: maker,
      // Channel "sim" is an openai-shaped one; "chat" a chat-sse one, which can neither edit nor extend.
      channelSupports: (channelId) => (channelId === "sim" ? true : channelId === "chat" ? false : undefined),
    });
    source = await create();
    await completeVideo(api, source, { channelId: "sim", seconds: "8" });
    onChatSse = await create();
    await completeVideo(api, onChatSse, { channelId: "chat" });
    running = await create();
  });
  afterAll(async () => api.close());

  it("edits a completed video given as {id} in JSON: queued, priced as the source", async () => {
    const answer = await post("/v1/videos/edits", { prompt: "make it blue", video: { id: source } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ object: "video", status: "queued", model: "sora-2", seconds: "8" });
    const [requested] = await api.store.readStream(`task-${answer.json().id}`);
    expect(requested?.data).toMatchObject({ operation: "edit", sourceVideoId: source, sourceUpload: null });
  });

  it("edits a video given as video[id] in multipart", async () => {
    const answer = await api.app.inject({
      method: "POST",
      url: "/v1/videos/edits",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([
        { name: "prompt", value: "make it red" },
        { name: "video[id]", value: source },
      ]),
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().status).toBe("queued");
  });

  it("extends a video: priced on the extension's seconds, the answer showing the stitched total", async () => {
    const answer = await post("/v1/videos/extensions", { prompt: "and then", seconds: "4", video: { id: source } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().seconds).toBe("12");
    const [requested] = await api.store.readStream(`task-${answer.json().id}`);
    const fourSeconds = priceOf({ model: "sora-2", seconds: "4", size: "720x1280" }, builtInCatalog, "acct_1");
    expect(requested?.data).toMatchObject({
      operation: "extend",
      seconds: "4",
      sourceSeconds: "8",
      quoteMicros: fourSeconds,
    });
  });

  it("edits an uploaded video file: stored under the account's inputs, its key in the request", async () => {
    const answer = await api.app.inject({
      method: "POST",
      url: "/v1/videos/edits",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([
        { name: "prompt", value: "make it green" },
        { name: "video", value: mp4, filename: "clip.mp4" },
      ]),
    });
    expect(answer.statusCode).toBe(200);
    const [requested] = await api.store.readStream(`task-${answer.json().id}`);
    expect(requested?.type).toBe("VideoRequested");
    const upload = (requested!.data as { sourceUpload: { key: string; bytes: number } }).sourceUpload;
    expect(upload.key).toMatch(/^inputs\/acct_1\/\d{4}\/\d{2}\/video_[0-9a-f]+-source\.\w+$/);
    expect(upload.bytes).toBe(mp4.length);
    expect((await api.objects.head(upload.key))?.bytes).toBe(mp4.length);
  });

  it("answers 400 unsupported_operation for a video made on a channel that cannot edit, and records nothing", async () => {
    const before = await api.recorded();
    const answer = await post("/v1/videos/edits", { prompt: "p", video: { id: onChatSse } });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({ code: "unsupported_operation", param: "video" });
    expect(await api.recorded()).toBe(before);
  });

  it("answers 400 invalid_source_video for a source not completed yet", async () => {
    const answer = await post("/v1/videos/extensions", { prompt: "p", seconds: "4", video: { id: running } });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({ code: "invalid_source_video", param: "video" });
  });

  it("answers 404 for an unknown source and for another account's", async () => {
    const unknown = await post("/v1/videos/edits", { prompt: "p", video: { id: "video_nope" } });
    expect(unknown.statusCode).toBe(404);
    const theirs = await post("/v1/videos/edits", { prompt: "p", video: { id: source } }, OTHER_KEY);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe("not_found");
  });

  it("answers 402 when the balance cannot cover it, and stores no upload", async () => {
    const files = api.storedFiles().length;
    const answer = await api.app.inject({
      method: "POST",
      url: "/v1/videos/edits",
      headers: { ...auth(POOR_KEY), ...multipartHeaders },
      payload: form([
        { name: "prompt", value: "p" },
        { name: "video", value: mp4, filename: "clip.mp4" },
      ]),
    });
    expect(answer.statusCode).toBe(402);
    expect(answer.json().error.code).toBe("insufficient_quota");
    expect(api.storedFiles().length).toBe(files);
  });

  it("validates the body: prompt and video required, seconds required for an extension, offered seconds only", async () => {
    const noVideo = await post("/v1/videos/edits", { prompt: "p" });
    expect(noVideo.statusCode).toBe(400);
    expect(noVideo.json().error).toMatchObject({ param: "video", code: "missing_required_parameter" });
    const noPrompt = await post("/v1/videos/edits", { video: { id: source } });
    expect(noPrompt.json().error).toMatchObject({ param: "prompt", code: "missing_required_parameter" });
    const noSeconds = await post("/v1/videos/extensions", { prompt: "p", video: { id: source } });
    expect(noSeconds.json().error).toMatchObject({ param: "seconds", code: "missing_required_parameter" });
    const badSeconds = await post("/v1/videos/extensions", { prompt: "p", seconds: "7", video: { id: source } });
    expect(badSeconds.statusCode).toBe(400);
    expect(badSeconds.json().error).toMatchObject({ param: "seconds", code: "invalid_value" });
    const unknownField = await post("/v1/videos/edits", { prompt: "p", video: { id: source }, colour: "x" });
    expect(unknownField.json().error).toMatchObject({ param: "colour", code: "unknown_parameter" });
  });

  it("creates a character from a multipart video and retrieves it, for its own account only", async () => {
    const created = await api.app.inject({
      method: "POST",
      url: "/v1/videos/characters",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([
        { name: "name", value: "Ada" },
        { name: "video", value: mp4, filename: "ada.mp4" },
      ]),
    });
    expect(created.statusCode).toBe(200);
    const character = created.json();
    expect(character).toEqual({
      id: expect.stringMatching(/^char_[0-9a-f]{32}$/),
      name: "Ada",
      created_at: expect.any(Number),
    });
    expect(made.at(-1)).toEqual({ name: "Ada", bytes: mp4.length, filename: "ada.mp4" });
    const [event] = await api.store.readStream(`character-${character.id}`);
    expect(event?.data).toMatchObject({ channelId: "sim", upstreamId: `up_${made.length}`, accountId: "acct_1" });

    const mine = await api.app.inject({ method: "GET", url: `/v1/videos/characters/${character.id}`, headers: auth() });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual(character);
    const theirs = await api.app.inject({
      method: "GET",
      url: `/v1/videos/characters/${character.id}`,
      headers: auth(OTHER_KEY),
    });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe("not_found");
  });

  it("refuses a character without a video file or with a name beyond 80 characters", async () => {
    const noFile = await api.app.inject({
      method: "POST",
      url: "/v1/videos/characters",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([{ name: "name", value: "Ada" }]),
    });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().error).toMatchObject({ param: "video", code: "missing_required_parameter" });
    const longName = await api.app.inject({
      method: "POST",
      url: "/v1/videos/characters",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([
        { name: "name", value: "x".repeat(81) },
        { name: "video", value: mp4, filename: "a.mp4" },
      ]),
    });
    expect(longName.statusCode).toBe(400);
    expect(longName.json().error.param).toBe("name");
  });

  it("keeps the fixed paths apart from /v1/videos/{id}", async () => {
    const unknownCharacter = await api.app.inject({
      method: "GET",
      url: "/v1/videos/characters/char_nope",
      headers: auth(),
    });
    expect(unknownCharacter.json().error.message).toMatch(/character/);
    const video = await api.app.inject({ method: "GET", url: `/v1/videos/${source}`, headers: auth() });
    expect(video.statusCode).toBe(200);
  });
});

describe("characters without a channel that can make them", () => {
  let api: Ingress;
  beforeAll(async () => {
    api = await ingress();
  });
  afterAll(async () => api.close());

  it("answers 400 unsupported_operation and records nothing", async () => {
    const answer = await api.app.inject({
      method: "POST",
      url: "/v1/videos/characters",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([
        { name: "name", value: "Ada" },
        { name: "video", value: mp4, filename: "a.mp4" },
      ]),
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.code).toBe("unsupported_operation");
    expect(await api.store.countAll({ category: "character" })).toBe(0);
  });
});
