import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatformWithChannels, waitForEnd } from "./platform.ts";

const nats = testNats();

/** The events a service process handled, by consumer, summed over outcomes, from its /metrics. */
const eventsHandled = async (port: number) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const byConsumer: Record<string, number> = {};
  for (const match of text.matchAll(/^reelgate_events_handled_total\{([^}]*)\} (\d+)$/gm)) {
    const consumer = /consumer="([^"]+)"/.exec(match[1]!)?.[1] ?? "?";
    byConsumer[consumer] = (byConsumer[consumer] ?? 0) + Number(match[2]);
  }
  return byConsumer;
};

describe.skipIf(!nats.url)("max_concurrent holds across poller replicas", () => {
  let platform: Awaited<ReturnType<typeof startPlatformWithChannels>>;
  /** Each poller replica's operations port, from its "poller ready" line (replica ports are not exposed otherwise). */
  const pollerPorts = new Map<string, number>();
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
      {
        replicas: { poller: 2 },
        simulatorJobMs: 700,
        logLevel: "info",
        onLine: (source, line) => {
          if (!source.startsWith("poller") || !line.includes('"poller ready"')) return;
          const ready = JSON.parse(line) as { port?: number };
          if (ready.port !== undefined) pollerPorts.set(source, ready.port);
        },
      },
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
    // Both replicas did work: each one's /metrics counts events it handled.
    expect(pollerPorts.get("poller")).toBe(platform.ports.poller);
    const handled = await Promise.all(
      ["poller", "poller-2"].map(async (replica) => {
        const port = pollerPorts.get(replica);
        expect(port, `${replica}'s port`).toBeDefined();
        return [replica, await eventsHandled(port!)] as const;
      }),
    );
    for (const [replica, byConsumer] of handled) {
      const total = Object.values(byConsumer).reduce((sum, count) => sum + count, 0);
      expect(total, `${replica} handled ${JSON.stringify(byConsumer)}`).toBeGreaterThan(0);
    }
    await waitFor("every capture", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
    expect((await platform.balance(accountId)).balance_usd).toBe("6.000000");
  });
});
