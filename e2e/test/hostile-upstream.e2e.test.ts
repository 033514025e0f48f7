import { createServer, type Server } from "node:http";
import { listenOnFreePort, testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();
const MAIN_KEY = "sk-upstream-main-secret-0123456789abcdef";
const ECHO_KEY = "sk-upstream-echo-secret-0123456789abcdef";

/** `main` for sora-2, `echo` for sora-2-pro (its faults echo the key), `chat` for sora_video2. */
const channelsYaml = (simulator: string) => `
channels:
  - id: main
    provider: openai
    base_url: ${simulator}/c/main/v1
    api_key: ${MAIN_KEY}
    models: { sora-2: sora-2 }
  - id: echo
    provider: openai
    base_url: ${simulator}/c/echo/v1
    api_key: ${ECHO_KEY}
    models: { sora-2-pro: sora-2-pro }
  - id: chat
    provider: chat-sse
    base_url: ${simulator}/c/chat/v1
    api_key: ${MAIN_KEY}
    models: { sora_video2: sora_video2 }
`;

describe.skipIf(!nats.url)("a hostile upstream", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  // 127.0.0.2 stands for an internal host (a metadata service): nothing may connect to it.
  let internal: Server;
  let internalPort: number;
  let internalConnections = 0;
  const faults = (channel: string, body: object) =>
    platform.simulator(`/c/${channel}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    internal = createServer((_req, res) => res.writeHead(200, { "content-type": "video/mp4" }).end("credentials"));
    internal.on("connection", () => internalConnections++);
    internalPort = await listenOnFreePort(internal, "127.0.0.2");
    platform = await startPlatformWithChannels(nats.url!, channelsYaml, { simulatorJobMs: 300 });
  });
  afterAll(async () => {
    await platform?.stop();
    internal?.closeAllConnections();
    internal?.close();
  });

  it("echoing the channel key in a 401: the key shows nowhere (API answer, legacy result, logs)", async () => {
    await faults("echo", { echoKeyErrors: 100 });
    const { key, client } = await platform.account("5");
    const created = await client.videos.create({ model: "sora-2-pro", prompt: "echo", seconds: "4" });
    const ended = await waitForEnd(client, created.id);
    expect(ended.status).toBe("failed");
    const legacy = await fetch(`${platform.url}/v1/video/generations/result`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ task_id: created.id }),
    });
    const legacyText = await legacy.text();
    expect(JSON.parse(legacyText)).toMatchObject({ task_status: "failed" });
    const answers = JSON.stringify(ended) + legacyText;
    // The upstream was asked and did echo the key (so the test could fail), yet no one repeats it.
    const requests = await platform.simulator<Array<{ channel: string; status?: number }>>("/_control/requests");
    expect(requests.some((request) => request.channel === "echo" && request.status === 401)).toBe(true);
    await waitFor("the poller's warning", () => platform.logs.includes("Incorrect API key provided"));
    for (const text of [answers, platform.logs]) {
      expect(text).not.toContain(ECHO_KEY);
      expect(text).not.toContain(MAIN_KEY);
    }
    expect(answers).not.toContain(platform.simulatorRoot.replace("http://", ""));
  });

  it("a chat-sse link to an internal host is never fetched, stored or served", async () => {
    await faults("chat", { mediaLinkUrl: `http://127.0.0.2:${internalPort}/latest/meta-data/v.mp4` });
    const { key, client } = await platform.account("5");
    const created = await client.videos.create({ model: "sora_video2", prompt: "hostile link" });
    await waitForEnd(client, created.id);
    const content = await waitFor(
      "the content to be settled",
      async () => {
        const response = await fetch(`${platform.url}/v1/videos/${created.id}/content`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const body = await response.text();
        return response.status === 404 && /not ready|not available|processing/i.test(body)
          ? undefined
          : { status: response.status, body };
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // Storage refused the link and recorded the failure; ingress's fallback through the channel refuses it too.
    expect(content.status).toBe(502);
    expect(content.body).not.toContain("credentials");
    expect(JSON.parse(content.body).error).toMatchObject({ code: "upstream_unavailable", type: "server_error" });
    expect(internalConnections).toBe(0);
  });

  it("one oversized upstream error and 200 other videos behind it: all 200 finish, the poisoned one fails released", async () => {
    await faults("main", { oversizedErrors: 1 });
    const poisoned = await platform.account("5");
    const bad = await poisoned.client.videos.create({ prompt: "poison", seconds: "4" });
    // The fault goes to the next job the upstream sees: the poisoned one, before any other.
    await waitFor("the poisoned job upstream", async () => {
      const stats = await platform.simulator<{ submitted: number }>("/c/main/_control/stats");
      return stats.submitted >= 1;
    });
    const others = await platform.account("100");
    const ids: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          others.client.videos.create({ prompt: `behind ${batch * 10 + i}`, seconds: "4" }),
        ),
      );
      ids.push(...created.map((video) => video.id));
    }
    const finished = await waitFor(
      "all 200 videos to finish",
      async () => {
        const statuses = new Map<string, string>();
        for await (const video of others.client.videos.list({ limit: 100 })) statuses.set(video.id, video.status);
        const done = ids.filter((id) => statuses.get(id) === "completed");
        return done.length === ids.length ? done : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    expect(finished).toHaveLength(200);

    const ended = await waitForEnd(poisoned.client, bad.id);
    expect(ended.status).toBe("failed");
    expect(JSON.stringify(ended.error).length).toBeLessThan(5_000);
    await waitFor("the poisoned reservation released", async () => {
      const balance = await platform.balance(poisoned.accountId);
      return balance.reserved_usd === "0.000000" && balance.balance_usd === "5.000000";
    });
    await waitFor(
      "the 200 captured",
      async () => {
        const balance = await platform.balance(others.accountId);
        return balance.reserved_usd === "0.000000" && balance.balance_usd === "20.000000";
      },
      { timeoutMs: 60_000 },
    );
  }, 300_000);
});
