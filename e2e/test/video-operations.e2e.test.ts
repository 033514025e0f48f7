import { testNats, waitFor } from "@reelgate/testkit";
import { canDo } from "@reelgate/upstream";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();

/** An OpenAI-shaped channel for sora-2 and a chat-sse one for sora_video2, both on the simulator. */
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
