import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openSqliteEventStore } from "@reelgate/event-store";
import { startStack } from "@reelgate/launcher";
import { stopOnInterrupt } from "./interrupt.ts";

const VIDEOS = Number(process.env.BENCH_WEBHOOK_VIDEOS ?? 100);
const FANOUT_ENDPOINTS = Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 50);
const FANOUT_VIDEOS = Number(process.env.BENCH_WEBHOOK_FANOUT_VIDEOS ?? 20);
const TIMEOUT_MS = 600_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** When each video's event of `type` (and variant) landed in a service's store, epoch ms, by video id. */
const recordedAt = async (dataDir: string, service: string, type: string, variant?: string) => {
  const store = openSqliteEventStore(join(dataDir, `${service}.events.db`));
  const at = new Map<string, number>();
  try {
    for await (const event of store.readAll()) {
      const data = event.data as { videoId?: string; variant?: string };
      if (event.type !== type || !data.videoId || (variant && data.variant !== variant)) continue;
      if (!at.has(data.videoId)) at.set(data.videoId, Date.parse(event.occurredAt));
    }
  } finally {
    await store.close();
  }
  return at;
};

/**
 * Two figures for the notifier, on the whole platform with a local receiver that answers 200 at once:
 * the delay from JobCompleted (the poller's record) to the receiver's receipt, p50/p99, over videos
 * made a few at a time; and the deliveries per second it sustains when each video fans out to many
 * endpoints of its account.
 */
export const runWebhooksBench = async () => {
  const received: Array<{ videoId: string; at: number; path: string }> = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data: { id: string } };
      received.push({ videoId: body.data.id, at: Date.now(), path: request.url ?? "/" });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", () => resolve()));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-bench-webhooks-"));
  const stack = await startStack({
    dataDir,
    simulatorJobMs: 0,
    logLevel: "warn",
    onLine: () => undefined,
    env: { REELGATE_OUTBOUND_ALLOW: "127.0.0.1" },
  });
  const takeHandlersOff = stopOnInterrupt(() =>
    stack.stop().finally(() => rmSync(dataDir, { recursive: true, force: true })),
  );
  const call = async <T>(path: string, body: unknown, bearer: string) => {
    const response = await fetch(`${stack.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const account = async () => {
    const { id } = await call<{ id: string }>(
      "/admin/v1/accounts",
      { name: "bench", credits_usd: "10000" },
      stack.adminToken,
    );
    return (await call<{ key: string }>(`/admin/v1/accounts/${id}/keys`, {}, stack.adminToken)).key;
  };
  const createVideos = async (key: string, count: number, concurrency: number, label: string) => {
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          const video = await call<{ id: string }>("/v1/videos", { prompt: `${label} ${next}`, seconds: "4" }, key);
          ids.push(video.id);
        }
      }),
    );
    return ids;
  };
  const waitForReceipts = async (expected: number, path: (p: string) => boolean) => {
    const deadline = Date.now() + TIMEOUT_MS;
    while (received.filter((entry) => path(entry.path)).length < expected) {
      if (Date.now() > deadline) throw new Error(`only ${received.length} of ${expected} deliveries arrived`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  try {
    // Delay: one endpoint, videos four at a time.
    const latencyKey = await account();
    await call(
      "/v1/webhook_endpoints",
      { name: "latency", url: `${receiverUrl}/latency`, event_types: ["video.completed"] },
      latencyKey,
    );
    const ids = await createVideos(latencyKey, VIDEOS, 4, "latency");
    await waitForReceipts(ids.length, (path) => path === "/latency");
    const completed = await recordedAt(dataDir, "poller", "JobCompleted");
    const stored = await recordedAt(dataDir, "storage", "MediaStored", "video");
    const fromCompleted: number[] = [];
    const fromStored: number[] = [];
    for (const entry of received.filter((candidate) => candidate.path === "/latency")) {
      fromCompleted.push(entry.at - completed.get(entry.videoId)!);
      fromStored.push(entry.at - stored.get(entry.videoId)!);
    }
    console.log(`\nWebhooks: delay to the receiver's receipt, ${fromCompleted.length} videos, 4 at a time`);
    console.log(
      `  from JobCompleted  p50 ${percentile(fromCompleted, 50)} ms   p99 ${percentile(fromCompleted, 99)} ms`,
    );
    console.log(`  from MediaStored   p50 ${percentile(fromStored, 50)} ms   p99 ${percentile(fromStored, 99)} ms`);

    // Throughput: every video of the account goes to many endpoints at once.
    const fanoutKey = await account();
    for (let index = 0; index < FANOUT_ENDPOINTS; index++) {
      await call(
        "/v1/webhook_endpoints",
        { name: `fan ${index}`, url: `${receiverUrl}/fan/${index}`, event_types: ["video.completed"] },
        fanoutKey,
      );
    }
    const fanIds = await createVideos(fanoutKey, FANOUT_VIDEOS, 8, "fanout");
    const total = fanIds.length * FANOUT_ENDPOINTS;
    await waitForReceipts(total, (path) => path.startsWith("/fan/"));
    const fan = received.filter((entry) => entry.path.startsWith("/fan/")).map((entry) => entry.at);
    const seconds = (Math.max(...fan) - Math.min(...fan)) / 1000;
    console.log(`Webhooks: ${total} deliveries (${FANOUT_VIDEOS} videos × ${FANOUT_ENDPOINTS} endpoints)`);
    console.log(
      `  ${(total / seconds).toFixed(0)} deliveries/s sustained (first to last receipt, ${seconds.toFixed(2)} s)`,
    );
  } finally {
    takeHandlersOff();
    await stack.stop();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

// `npm run bench:webhooks` runs this file alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runWebhooksBench();
