import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteDocumentStore } from "@reelgate/documents";
import type { FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { idempotency, PENDING_LEASE_MS } from "../src/http/idempotency.ts";
import { openViews } from "../src/views/views.ts";
import { inProcessIngress, TEST_KEY } from "./in-process-ingress.ts";

const child = join(import.meta.dirname, "keyed-create-crash-child.ts");

describe("a keyed create cut by a crash", () => {
  let dir: string | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers its retry with the video the dead attempt recorded, within a few seconds, and creates nothing more", async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-keyed-crash-"));
    const died = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const proc = spawn(process.execPath, [child, dir!, "crash-key"], { stdio: ["ignore", "inherit", "inherit"] });
      proc.on("error", reject);
      proc.on("exit", (_code, signal) => resolve(signal));
    });
    const diedAt = Date.now();
    expect(died).toBe("SIGKILL");

    const ingress = await inProcessIngress(dir);
    close = ingress.close;
    // What the crash left: the request recorded, the key pending, no view.
    expect(await ingress.store.countAll({ category: "task" })).toBe(1);
    const [record] = await ingress.views.idempotency.find({});
    expect(record).toMatchObject({ state: "pending", holder: expect.any(String) });
    expect(await ingress.views.videos.count()).toBe(0);

    const statuses: number[] = [];
    let answer: Awaited<ReturnType<typeof ingress.create>> | undefined;
    // The client's retry loop: 409 while the dead holder's lease runs out, then the answer.
    while (Date.now() - diedAt < 60_000) {
      const response = await ingress.create({ prompt: "cut by a crash" }, { "idempotency-key": "crash-key" });
      statuses.push(response.statusCode);
      if (response.statusCode !== 409) {
        answer = response;
        break;
      }
      expect(response.json().error.code).toBe("idempotency_key_in_use");
      await new Promise((resolve) => setTimeout(resolve, 200)); // the client's retry pause
    }
    const seconds = (Date.now() - diedAt) / 1000;
    console.log(`keyed create retried after a crash: 200 after ${seconds.toFixed(1)} s (${statuses.length} tries)`);
    expect(answer?.statusCode).toBe(200);
    expect(seconds).toBeLessThan(PENDING_LEASE_MS / 1000 + 10);
    expect(answer!.json().id).toMatch(/^video_[0-9a-f]{32}$/);
    expect(await ingress.store.countAll({ category: "task" })).toBe(1);
    const retrieved = await ingress.app.inject({
      method: "GET",
      url: `/v1/videos/${answer!.json().id}`,
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(retrieved.json()).toMatchObject({ id: answer!.json().id, status: "queued", prompt: "cut by a crash" });
    // And the key is done: the next retry answers the same at once.
    const again = await ingress.create({ prompt: "cut by a crash" }, { "idempotency-key": "crash-key" });
    expect(again.json()).toEqual(answer!.json());
  });

  it("a live holder keeps its key past the lease by renewing it: another process's retry gets 409 until it answers", async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-keyed-live-"));
    const documents = openSqliteDocumentStore(join(dir, "views.db"));
    close = () => documents.close();
    const { idempotency: records } = await openViews(documents);
    const leaseMs = 1_000;
    const holder = idempotency(records, Date.now, { leaseMs, instanceId: "holder" });
    const other = idempotency(records, Date.now, { leaseMs, instanceId: "other" });
    const request = {
      headers: { "idempotency-key": "slow" },
      accountId: "acct_1",
      routeOptions: { url: "/v1/videos" },
    } as unknown as FastifyRequest;
    let finish!: () => void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    const first = holder.once(request, { prompt: "slow" }, async () => {
      await slow;
      return "the first answer";
    });
    // For three and a half leases the holder is alive and working: every retry meanwhile is refused.
    const refusals: number[] = [];
    const until = Date.now() + 3.5 * leaseMs;
    while (Date.now() < until) {
      const retry = await other.once(request, { prompt: "slow" }, async () => "a second video").catch((e) => e);
      refusals.push(retry.status);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the client's retry pause
    }
    expect(new Set(refusals)).toEqual(new Set([409]));
    finish();
    expect(await first).toBe("the first answer");
    expect(await other.once(request, { prompt: "slow" }, async () => "a second video")).toBe("the first answer");
  });
});
