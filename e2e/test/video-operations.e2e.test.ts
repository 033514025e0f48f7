import { testNats, waitFor } from "@reelgate/testkit";
import { canDo } from "@reelgate/upstream";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();

/** An OpenAI-shaped channel for sora-2, a chat-sse one for sora_video2 and a Gemini API (Veo) one, on the simulator. */
const channelsYaml = (simulator: string) => `
channels:
  - id: sim
    provider: openai
    base_url: ${simulator}/c/sim/v1
    api_key: key-sim
    models: { sora-2: sora-2 }
  - id: chat
    provider: chat-sse
    base_url: ${simulator}/c/chat/v1
    api_key: key-chat
    models: { sora_video2: sora_video2 }
  - id: veo
    provider: gemini
    base_url: ${simulator}/c/veo/v1beta
    api_key: key-veo
    models: { veo-3.1: veo-3.1-generate-preview }
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
`;

/**
 * Edits, extensions and characters (issue 13.1) through the official JavaScript SDK. The refusal runs everywhere;
 * the round trips need the openai provider to edit, extend and make characters (libs/upstream, the poller and the
 * simulator: another branch), so they run once libs/upstream's capabilities say the openai shape can.
 */
describe.skipIf(!nats.url)("video operations through the SDK", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  beforeAll(async () => {
    platform = await startPlatformWithChannels(nats.url!, channelsYaml);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("an edit of a chat-sse video answers 400 unsupported_operation and reserves nothing", async () => {
    const { accountId, client } = await platform.account("1");
    const made = await client.videos.create({ model: "sora_video2" as never, prompt: "chat source" });
    expect((await waitForEnd(client, made.id)).status).toBe("completed");
    await waitFor("the capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    const before = await platform.balance(accountId);
    const recorded = await platform.taskEvents();

    const refused = await client.videos.edit({ prompt: "make it blue", video: { id: made.id } }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ code: "unsupported_operation", param: "video" });
    const extension = await client.videos
      .extend({ prompt: "and then", seconds: "4", video: { id: made.id } })
      .catch((e) => e);
    expect(extension.status).toBe(400);
    expect(extension.error).toMatchObject({ code: "unsupported_operation", param: "video" });

    expect(await platform.taskEvents()).toBe(recorded);
    expect(await platform.balance(accountId)).toEqual(before);
  });

  it("extends a Veo video by its documented 7 s: the stitched total shown, only the 7 s charged; other lengths and 1080p refused", async () => {
    const { accountId, client } = await platform.account("20");
    const source = await client.videos.create({
      model: "veo-3.1" as never,
      prompt: "veo source",
      seconds: "8",
      size: "1280x720",
    });
    expect((await waitForEnd(client, source.id)).status).toBe("completed");
    await waitFor("the source's capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    const before = await platform.balance(accountId);
    const recorded = await platform.taskEvents();

    // Veo extends by 7 s only; a 1080p video not at all: both refused before anything is recorded or reserved.
    const wrongLength = await client.videos
      .extend({ prompt: "and then", seconds: "8" as never, video: { id: source.id } })
      .catch((e) => e);
    expect(wrongLength.status).toBe(400);
    expect(wrongLength.error).toMatchObject({ code: "invalid_value", param: "seconds" });
    expect(wrongLength.error.message).toContain("Allowed: 7");
    const big = await client.videos.create({
      model: "veo-3.1" as never,
      prompt: "1080p",
      seconds: "8",
      size: "1920x1080" as never,
    });
    expect((await waitForEnd(client, big.id)).status).toBe("completed");
    await waitFor("the 1080p capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    const afterBig = await platform.balance(accountId);
    const recordedBig = await platform.taskEvents();
    const tooBig = await client.videos
      .extend({ prompt: "and then", seconds: "7" as never, video: { id: big.id } })
      .catch((e) => e);
    expect(tooBig.status).toBe(400);
    expect(tooBig.error).toMatchObject({ code: "unsupported_operation", param: "video" });
    expect(await platform.taskEvents()).toBe(recordedBig);
    expect(await platform.balance(accountId)).toEqual(afterBig);
    expect(recordedBig).toBeGreaterThan(recorded);

    const extension = await client.videos.extend({
      prompt: "and then it rains",
      seconds: "7" as never,
      video: { id: source.id },
    });
    expect(extension.seconds).toBe("15");
    expect(await waitForEnd(client, extension.id)).toMatchObject({ status: "completed", seconds: "15" });
    // 7 s at Veo's 720p rate (0.40 USD/s), on top of the two sources' charges.
    const spent = (usd: string) => Math.round(Number(usd) * 1e6);
    await waitFor(
      "the extension's capture",
      async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
    );
    const after = await platform.balance(accountId);
    expect(spent(before.balance_usd) - spent(after.balance_usd)).toBe(3_200_000 + 2_800_000);
    const content = await client.videos.downloadContent(extension.id);
    expect(content.status).toBe(200);
  });

  // Needs the upstream-ops branch (openai provider edit/extend/createCharacter, the poller submitting them, the
  // simulator answering them): skipped, with this reason, until libs/upstream says the openai shape can.
  describe.skipIf(!(canDo("openai", "edit") && canDo("openai", "extend") && canDo("openai", "characters")))(
    "round trips on the openai shape (needs the openai provider's edit/extend/characters)",
    () => {
      it("edits and extends a completed video; the extension shows the stitched total, priced on its own seconds", async () => {
        const { client } = await platform.account("5");
        const source = await client.videos.create({ model: "sora-2", prompt: "source", seconds: "8" });
        expect((await waitForEnd(client, source.id)).status).toBe("completed");

        const edit = await client.videos.edit({ prompt: "make it blue", video: { id: source.id } });
        expect(edit.status).toBe("queued");
        expect(await waitForEnd(client, edit.id)).toMatchObject({ status: "completed", seconds: "8" });

        const extension = await client.videos.extend({ prompt: "and then", seconds: "4", video: { id: source.id } });
        expect(extension.seconds).toBe("12");
        expect(await waitForEnd(client, extension.id)).toMatchObject({ status: "completed", seconds: "12" });
      });

      it("makes a character from an uploaded video and retrieves it; another account's is 404", async () => {
        const { client } = await platform.account("1");
        const other = await platform.account("1");
        const video = await toFile(Buffer.from("00000018667479706d703432", "hex"), "ada.mp4", { type: "video/mp4" });
        const character = await client.videos.createCharacter({ name: "Ada", video });
        expect(character).toMatchObject({ id: expect.stringMatching(/^char_/), name: "Ada" });
        expect(await client.videos.getCharacter(character.id!)).toEqual(character);
        const theirs = await other.client.videos.getCharacter(character.id!).catch((e) => e);
        expect(theirs.status).toBe(404);
      });
    },
  );
});
