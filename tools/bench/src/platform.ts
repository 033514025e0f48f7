import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "@reelgate/launcher";
import { stopOnInterrupt } from "./interrupt.ts";

/** The platform as `npm start` runs it, in a scratch dir, with jobs that complete at once. */
export const startBenchPlatform = async (nodeArgs: string[] = []) => {
  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-bench-"));
  const stack = await startStack({
    dataDir,
    simulatorJobMs: 0,
    logLevel: "warn",
    onLine: () => undefined,
    // The bench is one key hammering the API: lift its rate limit.
    env: { REELGATE_RATE_LIMIT_PER_MINUTE: String(1_000_000_000) },
    nodeArgs: () => nodeArgs,
  });
  const admin = async <T>(path: string, body: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return (await response.json()) as T;
  };
  /** Stops the platform and removes its scratch dir (each run leaves ~100 MiB of databases and media otherwise). */
  const stop = async () => {
    takeHandlersOff();
    try {
      await stack.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  const takeHandlersOff = stopOnInterrupt(stop);
  const account = await admin<{ id: string }>("/admin/v1/accounts", { name: "bench", credits_usd: "100000000" });
  const { key } = await admin<{ key: string }>(`/admin/v1/accounts/${account.id}/keys`, {});
  return { stack, key, accountId: account.id, dataDir, stop };
};
