import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openSqliteEventStore } from "@reelgate/event-store";
import { startStack } from "@reelgate/launcher";
import { startTestS3Server } from "@reelgate/testkit/s3-server";
import { peakRssMiB } from "./cpu.ts";
import { stopOnInterrupt } from "./interrupt.ts";

const MiB = 1024 * 1024;
const sizes = (process.env.BENCH_STORAGE_SIZES_MIB ?? "10,100,1024").split(",").map((size) => Number(size) * MiB);

/** When an event of `type` landed in a service's store, in epoch ms (undefined while it has not). */
const recordedAt = async (dataDir: string, service: string, stream: string, type: string, variant?: string) => {
  const store = openSqliteEventStore(join(dataDir, `${service}.events.db`));
  try {
    const event = (await store.readStream(stream)).find(
      (candidate) =>
        candidate.type === type && (!variant || (candidate.data as { variant?: string }).variant === variant),
    );
    return event ? Date.parse(event.occurredAt) : undefined;
  } finally {
    await store.close();
  }
};

/**
 * Copies one video of each size from the simulator into storage, each with a fresh storage process
 * (peak RSS is a high-water mark), and reports the copy's throughput (JobCompleted recorded →
 * MediaStored recorded) and storage's peak RSS.
 */
const benchAdapter = async (label: string, env: NodeJS.ProcessEnv) => {
  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-bench-storage-"));
  const stack = await startStack({ dataDir, simulatorJobMs: 0, logLevel: "warn", onLine: () => undefined, env });
  const takeHandlersOff = stopOnInterrupt(() =>
    stack.stop().finally(() => rmSync(dataDir, { recursive: true, force: true })),
  );
  const simulator = stack.simulatorUrl!.replace(/\/v1$/, "");
  const post = async <T>(url: string, body: unknown, headers: Record<string, string> = {}) =>
    (await (
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      })
    ).json()) as T;
  const admin = { authorization: `Bearer ${stack.adminToken}` };
  const account = await post<{ id: string }>(
    `${stack.url}/admin/v1/accounts`,
    { name: "bench", credits_usd: "100" },
    admin,
  );
  const { key } = await post<{ key: string }>(`${stack.url}/admin/v1/accounts/${account.id}/keys`, {}, admin);
  console.log(`\nMedia copy, simulator → storage (${label})`);
  try {
    for (const bytes of sizes) {
      await stack.stopService("storage");
      await stack.startService("storage");
      const pid = stack.processes.get("storage")?.child.pid;
      await post(`${simulator}/_control/faults`, { videoBytes: bytes });
      const video = await post<{ id: string }>(
        `${stack.url}/v1/videos`,
        { model: "sora-2", prompt: `bench ${bytes}`, seconds: "4", size: "720x1280" },
        { authorization: `Bearer ${key}` },
      );
      const deadline = Date.now() + 600_000;
      let storedAt: number | undefined;
      while (storedAt === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        storedAt = await recordedAt(dataDir, "storage", `asset-${video.id}`, "MediaStored", "video");
      }
      const completedAt = await recordedAt(dataDir, "poller", `job-${video.id}`, "JobCompleted");
      if (storedAt === undefined || completedAt === undefined) throw new Error(`video ${video.id} was not stored`);
      const seconds = (storedAt - completedAt) / 1000;
      console.log(
        `  ${`${(bytes / MiB).toFixed(0)} MiB`.padEnd(10)} ${(bytes / MiB / seconds).toFixed(0).padStart(5)} MiB/s` +
          `   (${seconds.toFixed(2)} s)   storage peak RSS ${peakRssMiB(pid)?.toFixed(0) ?? "?"} MiB`,
      );
    }
  } finally {
    takeHandlersOff();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

export const runStorageBench = async () => {
  await benchAdapter("file storage", {});
  const s3 = await startTestS3Server();
  try {
    const { settings } = s3;
    await benchAdapter("S3 adapter on s3rver, in the bench process", {
      S3_ENDPOINT: settings.endpoint,
      S3_BUCKET: settings.bucket,
      S3_ACCESS_KEY_ID: settings.accessKeyId,
      S3_SECRET_ACCESS_KEY: settings.secretAccessKey,
      S3_FORCE_PATH_STYLE: "true",
    });
  } finally {
    await s3.stop();
  }
};

// `npm run bench:storage` runs this file alone; `npm run bench` calls runStorageBench after the API figures.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runStorageBench();
