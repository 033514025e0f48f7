import { builtInCatalog, priceOf } from "@reelgate/contracts";
import { testNats, waitFor } from "@reelgate/testkit";
import { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyPng } from "./images.ts";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();

/** A Runway and a Luma channel on the simulator; their media links point at its other loopback name. */
const channelsYaml = (simulator: string) => `
channels:
  - id: chan-runway
    provider: runway
    base_url: ${simulator}/c/chan-runway/runway
    api_key: runway-key
    models: { gen4.5: gen4.5 }
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
  - id: chan-luma
    provider: luma
    base_url: ${simulator}/c/chan-luma/luma/dream-machine/v1
    api_key: luma-key
    models: { ray-2: ray-2 }
    poll_interval_seconds: 0.2
    media_hosts: [localhost, 127.0.0.1]
`;

const micros = (usd: string) => Math.round(Number(usd) * 1_000_000);

/**
 * Runway's edit (video_to_video) and Luma's extension (keyframes) through the official JavaScript SDK, end to end:
 * the public answers, what the upstream received, and what was charged.
 */
describe.skipIf(!nats.url)("Runway and Luma through the openai SDK", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  beforeAll(async () => {
    platform = await startPlatformWithChannels(nats.url!, channelsYaml);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const requests = (channel: string) =>
    platform.simulator<Array<{ method: string; path: string; body?: Record<string, unknown> }>>(
      `/c/${channel}/_control/requests`,
    );
  const settled = async (accountId: string) => {
    await waitFor(
      "the reservation to end",
      async () => (await platform.balance(accountId)).reserved_usd === "0.000000",
    );
    return micros((await platform.balance(accountId)).balance_usd);
  };
  const price = (model: string, seconds: string) =>
    priceOf({ model, seconds, size: "1280x720" }, builtInCatalog) ?? Number.NaN;

  it("Runway: an edit of its own video is video_to_video of the output link, priced as a create of the spec; no extension", async () => {
    const { accountId, client } = await platform.account("20");
    const start = await settled(accountId);
    const source = await client.videos.create({
      model: "gen4.5" as never,
      prompt: "runway source",
      seconds: "5" as never,
      size: "1280x720" as never,
    });
    expect(await waitForEnd(client, source.id), platform.logs).toMatchObject({ status: "completed", seconds: "5" });

    const edit = await client.videos.edit({ prompt: "runway, make it night", video: { id: source.id } });
    expect(await waitForEnd(client, edit.id), platform.logs).toMatchObject({ status: "completed", seconds: "5" });
    const sent = (await requests("chan-runway")).find((request) => request.path.endsWith("/v1/video_to_video"));
    expect(sent?.body).toMatchObject({
      model: "aleph2",
      promptText: "runway, make it night",
      videoUri: expect.stringMatching(/^http:\/\/localhost:\d+\/c\/chan-runway\/media\//),
    });
    expect(start - (await settled(accountId))).toBe(2 * price("gen4.5", "5"));

    const before = await settled(accountId);
    const refused = await client.videos
      .extend({ prompt: "and then", seconds: "5" as never, video: { id: source.id } })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: "unsupported_operation" });
    expect(await settled(accountId)).toBe(before);
  });

  it("Luma: an extension continues the generation by keyframe, shows the stitched total, priced on its own seconds; no input image", async () => {
    const { accountId, client } = await platform.account("20");
    const start = await settled(accountId);
    const source = await client.videos.create({
      model: "ray-2" as never,
      prompt: "luma source",
      seconds: "5" as never,
      size: "1280x720" as never,
    });
    expect(await waitForEnd(client, source.id), platform.logs).toMatchObject({ status: "completed", seconds: "5" });

    const extension = await client.videos.extend({
      prompt: "luma, and then",
      seconds: "5" as never,
      video: { id: source.id },
    });
    expect(extension.seconds).toBe("10");
    expect(await waitForEnd(client, extension.id), platform.logs).toMatchObject({ status: "completed", seconds: "10" });
    const sent = (await requests("chan-luma")).filter((request) => request.path.endsWith("/generations")).at(-1);
    expect(sent?.body).toMatchObject({
      prompt: "luma, and then",
      duration: "5s",
      keyframes: { frame0: { type: "generation", id: expect.stringMatching(/^sim_/) } },
    });
    expect(start - (await settled(accountId))).toBe(2 * price("ray-2", "5"));

    const before = await settled(accountId);
    const refused = await client.videos
      .create({
        model: "ray-2" as never,
        prompt: "luma image",
        seconds: "5" as never,
        size: "1280x720" as never,
        input_reference: await toFile(tinyPng, "frame.png", { type: "image/png" }),
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: "unsupported_operation" });
    expect(await settled(accountId)).toBe(before);
  });
});
