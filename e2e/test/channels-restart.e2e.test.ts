import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformWithChannels } from "./platform.ts";

const nats = testNats();

interface RecordedRequest {
  method: string;
  path: string;
  receivedAt: number;
  status?: number;
}

const OUTAGE_MS = 30_000;
const RETRY_AFTER_S = 40;

describe.skipIf(!nats.url)("every poller killed mid-way through 50 jobs", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  beforeAll(async () => {
    platform = await startPlatformWithChannels(
      nats.url!,
      (simulator) => `
channels:
  - id: r
    provider: openai
    base_url: ${simulator}/c/r/v1
    api_key: key
    models: { sora-2: sora-2 }
`,
      { replicas: { poller: 2 } },
    );
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("all 50 reach their end after 30 s without pollers, and polling resumes without breaking the channel's Retry-After", async () => {
    const faults = (body: object) =>
      platform.simulator("/c/r/_control/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const statusPolls = async () =>
      (await platform.simulator<RecordedRequest[]>("/c/r/_control/requests")).filter(
        (request) => request.method === "GET" && /^\/c\/r\/v1\/videos\/[^/]+$/.test(request.path),
      );
    await faults({ jobDurationMs: 15_000 });
    const { accountId, client } = await platform.account("50");
    const created = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        client.videos.create({ model: "sora-2", prompt: `restart ${index}`, seconds: "4" }),
      ),
    );
    await waitFor(
      "all 50 submitted upstream",
      async () => (await platform.simulator<{ submitted: number }>("/c/r/_control/stats")).submitted === 50,
      { timeoutMs: 30_000 },
    );

    // The channel asks for a pause longer than the outage; the pollers must still honour it after their restart.
    await faults({ status: { status: 429, count: 1, retryAfterSeconds: RETRY_AFTER_S } });
    const limited = await waitFor(
      "a poll answered 429",
      async () => (await statusPolls()).find((poll) => poll.status === 429),
      { timeoutMs: 20_000 },
    );
    // Kill only once the pause is in force (the pollers went quiet), so the test does not race the
    // poller recording the channel's Retry-After before it dies.
    await waitFor(
      "the pollers to honour the 429",
      async () => {
        const latest = Math.max(...(await statusPolls()).map((poll) => poll.receivedAt));
        return Date.now() - limited.receivedAt > 3_500 && Date.now() - latest > 3_000;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await platform.stopService("poller", "SIGKILL");
    const killedAt = Date.now();
    const stats = await platform.simulator<{ completed: number; inFlight: number }>("/c/r/_control/stats");
    expect(stats.completed).toBe(0);

    // The outage: the upstream finishes every job meanwhile.
    await waitFor(
      "the outage to last 30 s",
      async () =>
        Date.now() - killedAt >= OUTAGE_MS &&
        (await platform.simulator<{ completed: number }>("/c/r/_control/stats")).completed === 50,
      { timeoutMs: OUTAGE_MS + 20_000, intervalMs: 500 },
    );
    await platform.startService("poller");

    await waitFor(
      "all 50 to end",
      async () => {
        const videos = await Promise.all(created.map((video) => client.videos.retrieve(video.id)));
        return videos.every((video) => video.status === "completed" || video.status === "failed") && videos;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const videos = await Promise.all(created.map((video) => client.videos.retrieve(video.id)));
    expect(videos.map((video) => video.status)).toEqual(Array(50).fill("completed"));

    // Polls already on their way when the 429 came back may land just after it; none may start later until the pause ends.
    const pauseEnds = limited.receivedAt + RETRY_AFTER_S * 1000;
    const duringPause = (await statusPolls()).filter(
      (poll) => poll.receivedAt > limited.receivedAt + 1_000 && poll.receivedAt < pauseEnds,
    );
    expect(duringPause).toEqual([]);
    await waitFor("every capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("30.000000");
  });
});
