import { testNats } from "@reelgate/testkit";
import OpenAI, { toFile } from "openai";
import { pollWithResponse } from "openai/lib/polling";
import type { Video, VideoCreateCharacterResponse, VideoGetCharacterResponse } from "openai/resources/videos";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conformanceRecorder, type Operation, operationOf } from "./openai-schema.ts";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();

/**
 * The four newest `videos.*` methods of the official JavaScript SDK (edit, extend, createCharacter,
 * getCharacter; issue 13, "What must be shown") on the platform's default channel, the simulator in the
 * `openai` shape; every JSON answer is also checked against OpenAI's own schema (openai-schema.ts).
 */
describe.skipIf(!nats.url)("edits, extensions and characters through the official JavaScript SDK", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("edits and extends a completed video to completion and makes a character from its mp4, fetched back by id", async () => {
    const { client: sdk } = await platform.account("10");
    const conformance = conformanceRecorder();
    // Which OpenAI operations the SDK's JSON answers were (so each new one is shown checked, not just counted).
    const operations = new Set<Operation>();
    const client = sdk.withOptions({
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        const request = input instanceof Request ? input : undefined;
        const operation = operationOf(
          init?.method ?? request?.method ?? "GET",
          new URL(request?.url ?? String(input)).pathname,
        );
        if (operation) operations.add(operation);
        return conformance.fetch(input, init);
      },
    });
    // The SDK's poll helper (what `*.poll`/`createAndPoll` are built on), bounded: a job that never ends fails here.
    const poll = (id: string) =>
      pollWithResponse(
        (headers) => client.videos.retrieve(id, { headers, timeout: 10_000 }),
        ["queued", "in_progress"],
        ["completed", "failed"],
      );

    const source = await client.videos.create({ prompt: "a lighthouse at dawn", seconds: "8" });
    expect((await waitForEnd(client, source.id)).status).toBe("completed");

    const edit: Video = await client.videos.edit({ prompt: "make it blue", video: { id: source.id } });
    expect(edit).toMatchObject({ object: "video", status: "queued", prompt: "make it blue", seconds: "8" });
    expect(edit.id).not.toBe(source.id);
    const edited = await poll(edit.id);
    expect(edited).toMatchObject({ id: edit.id, status: "completed", progress: 100, seconds: "8" });

    const extension: Video = await client.videos.extend({
      prompt: "and then night falls",
      seconds: "4",
      video: { id: source.id },
    });
    expect(extension).toMatchObject({ object: "video", seconds: "12" }); // the stitched total: 8 + 4
    const extended = await poll(extension.id);
    expect(extended).toMatchObject({ id: extension.id, status: "completed", seconds: "12" });

    // The simulator's own mp4, as the SDK downloads it, is the character's source file.
    const content = await client.videos.downloadContent(source.id);
    expect(content.headers.get("content-type")).toBe("video/mp4");
    const mp4 = Buffer.from(await content.arrayBuffer());
    expect(mp4.length).toBeGreaterThan(0);
    const character: VideoCreateCharacterResponse = await client.videos.createCharacter({
      name: "Ada",
      video: await toFile(mp4, "ada.mp4", { type: "video/mp4" }),
    });
    expect(character).toMatchObject({ id: expect.stringMatching(/^char_/), name: "Ada" });
    expect(Number.isInteger(character.created_at)).toBe(true);
    const fetched: VideoGetCharacterResponse = await client.videos.getCharacter(character.id!);
    expect(fetched).toEqual(character);
    const unknown = await client.videos.getCharacter("char_unknown").catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);

    expect(conformance.problems).toEqual([]);
    expect([...operations]).toEqual(
      expect.arrayContaining([
        "POST /videos/edits",
        "POST /videos/extensions",
        "POST /videos/characters",
        "GET /videos/characters/{character_id}",
      ]),
    );
    expect(conformance.checked).toBeGreaterThanOrEqual(8);
  });
});
