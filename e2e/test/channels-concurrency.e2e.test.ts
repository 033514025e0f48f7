import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();

describe.skipIf(!nats.url)("max_concurrent holds across poller replicas", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  beforeAll(async () => {
    platform = await startPlatformWithChannels(
      nats.url!,
      (simulator) => `
channels:
  - id: narrow
    provider: openai
    base_url: ${simulator}/c/narrow/v1
    api_key: key
    models: { sora-2: sora-2 }
    max_concurrent: 2
`,
      { replicas: { poller: 2 }, simulatorJobMs: 700 },
    );
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("max_concurrent 2, two pollers, ten jobs: never more than two in flight upstream, and all ten complete", async () => {
    expect(platform.processes.has("poller-2")).toBe(true);
    const { accountId, client } = await platform.account("10");
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        client.videos.create({ model: "sora-2", prompt: `narrow ${index}`, seconds: "4" }),
      ),
    );
    const ended = await Promise.all(created.map((video) => waitForEnd(client, video.id, 90_000)));
    expect(ended.map((video) => video.status)).toEqual(Array(10).fill("completed"));
    const stats = await platform.simulator<{ submitted: number; peakInFlight: number }>("/c/narrow/_control/stats");
    expect(stats.submitted).toBe(10);
    expect(stats.peakInFlight).toBe(2);
    await waitFor("every capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("6.000000");
  });
});
