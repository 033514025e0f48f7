import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { categoryOf, type Envelope, type NatsNames, natsNames } from "@reelgate/contracts";
import { connectNats, countDeadLetters, ensureStreams } from "@reelgate/messaging";
import { createLogger } from "@reelgate/service-kit";
import { freePort, testEnvelope, testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const nats = testNats();
const main = join(import.meta.dirname, "../src/main.ts");
const ADMIN = "out-of-order-admin-token-0123456789abcdef";

/**
 * Issue 10, point 1, as it happened: ingress died holding the video's VideoRequested (between its
 * append and its inline view write); the message stayed with the dead consumer for ack_wait while
 * billing, poller and storage moved on; the restarted ingress got their events first.
 */
describe.skipIf(!nats.url)("ingress's read model when a video's other events arrive before its request", () => {
  let nc: NatsConnection;
  let names: NatsNames;
  let namespace: string;
  let dataDir: string;
  let port: number;
  let operationsPort: number;
  const running: ChildProcess[] = [];
  let output = "";

  const startIngress = async () => {
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: String(port),
        REELGATE_OPERATIONS_PORT: String(operationsPort),
        REELGATE_DATA_DIR: dataDir,
        NATS_URL: nats.url!,
        REELGATE_NAMESPACE: namespace,
        REELGATE_ADMIN_TOKEN: ADMIN,
        REELGATE_SIGNING_SECRET: "out-of-order-signing-secret-0123456789abcdef",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    running.push(child);
    await waitFor(
      "ingress ready",
      async () => {
        if (child.exitCode !== null) throw new Error(`ingress exited ${child.exitCode}:\n${output}`);
        return (await fetch(`http://127.0.0.1:${operationsPort}/readyz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 60_000 },
    );
    return child;
  };
  const kill = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });

  beforeAll(async () => {
    namespace = uniqueNamespace("ooo");
    names = natsNames(namespace);
    dataDir = mkdtempSync(join(tmpdir(), "reelgate-out-of-order-"));
    port = await freePort();
    operationsPort = await freePort();
    nc = await connectNats({ url: nats.url!, name: "out-of-order-test", log: createLogger("tests", "silent") });
    await ensureStreams(nc, names);
  });
  afterAll(async () => {
    await Promise.all(running.map(kill));
    await nc?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const videoId = `video_${randomUUID().replaceAll("-", "")}`;
  const accountId = "acct_ooo";
  const event = (stream: string, version: number, type: string, data: object, correlationId = videoId): Envelope =>
    testEnvelope(type, data, { stream, version, accountId, correlationId });
  const spec = { model: "sora-2", seconds: "4", size: "720x1280" };
  const requested = event(`task-${videoId}`, 1, "VideoRequested", {
    videoId,
    accountId,
    ...spec,
    prompt: "arrives last",
    quoteMicros: 400_000,
    remixedFromVideoId: null,
    inputReference: null,
    createdAt: Math.floor(Date.now() / 1000),
  });
  const totals = (balanceMicros: number, reservedMicros: number) => ({ balanceMicros, reservedMicros });
  const others = [
    event(`account-${accountId}`, 1, "AccountOpened", { accountId, name: "ooo", ...totals(0, 0) }, accountId),
    event(
      `account-${accountId}`,
      2,
      "FundsCredited",
      { amountMicros: 1_000_000, reference: "r1", ...totals(1_000_000, 0) },
      accountId,
    ),
    event(`account-${accountId}`, 3, "FundsReserved", {
      videoId,
      amountMicros: 400_000,
      ...totals(1_000_000, 400_000),
    }),
    event(`job-${videoId}`, 1, "JobQueued", {
      videoId,
      accountId,
      ...spec,
      prompt: "arrives last",
      remixedFromVideoId: null,
      inputReference: null,
    }),
    event(`job-${videoId}`, 2, "JobSubmitted", { videoId, channelId: "sim", upstreamId: "u1", submittedAt: 1 }),
    event(`job-${videoId}`, 3, "JobProgressed", { videoId, progress: 50 }),
    event(`job-${videoId}`, 4, "JobCompleted", {
      videoId,
      channelId: "sim",
      upstreamId: "u1",
      ...spec,
      variants: ["video"],
      completedAt: Math.floor(Date.now() / 1000),
      expiresAt: null,
    }),
    event(`account-${accountId}`, 4, "ReservationCaptured", {
      videoId,
      quotedMicros: 400_000,
      amountMicros: 400_000,
      ...spec,
      ...totals(600_000, 0),
    }),
    event(`asset-${videoId}`, 1, "MediaStored", {
      videoId,
      variant: "video",
      key: `videos/${videoId}.mp4`,
      bytes: 10,
      sha256: "a".repeat(64),
      contentType: "video/mp4",
    }),
  ];
  const publish = (envelope: Envelope) =>
    jetstream(nc).publish(names.eventSubject(categoryOf(envelope.stream), envelope.type), JSON.stringify(envelope), {
      msgID: envelope.id,
    });
  const adminVideo = () =>
    fetch(`http://127.0.0.1:${port}/admin/v1/videos/${videoId}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const projection = async () => (await jetstreamManager(nc)).consumers.info(names.eventsStream, "ingress-projection");

  it("serves nothing until the request, waits for nothing, dead-letters nothing, and ends completed", async () => {
    // An ingress ran (its projection consumer exists) and died.
    await kill(await startIngress());
    // The dead ingress's last pull request outlives it on the server until it expires; a message published
    // before then may go to that ghost (and sit out ack_wait), so the test waits for it to lapse.
    await waitFor("the dead ingress's pull request lapsed", async () => (await projection()).num_waiting === 0, {
      timeoutMs: 30_000,
    });
    // The request reaches the stream; the dead ingress had pulled it and holds it until ack_wait runs out.
    await publish(requested);
    const [held] = await (async () => {
      const messages: JsMsg[] = [];
      const pull = await (await jetstream(nc).consumers.get(names.eventsStream, "ingress-projection")).fetch({
        max_messages: 1,
        expires: 5_000,
      });
      for await (const msg of pull) messages.push(msg);
      return messages;
    })();
    expect(held?.subject).toBe(names.eventSubject("task", "VideoRequested"));
    // Billing, poller and storage move on: every other event of the video is on the stream.
    for (const other of others) await publish(other);

    await startIngress();
    // Every other event is handled at its first delivery (acked, not put off), the request still held.
    await waitFor(
      "the other events handled",
      async () => {
        const info = await projection();
        return info.num_pending === 0 && info.num_ack_pending === 1;
      },
      { timeoutMs: 30_000 },
    );
    expect((await projection()).num_redelivered).toBe(0);
    expect(await countDeadLetters(nc, names)).toBe(0);
    // Not served before its request: as an unknown video.
    expect((await adminVideo()).status).toBe(404);

    // The request comes back (ack_wait ran out; a nak stands in for the 30 s) and fills the document in.
    held!.nak();
    const video = await waitFor(
      "the video completed",
      async () => {
        const response = await adminVideo();
        const body = response.ok ? ((await response.json()) as { status: string; events: unknown[] }) : undefined;
        return body?.status === "completed" ? body : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(video).toMatchObject({ id: videoId, status: "completed", progress: 100, prompt: "arrives last" });
    // The video's 8 events; the account's own (opened, credited) are not the video's.
    expect(video.events).toHaveLength(8);
    expect(await countDeadLetters(nc, names)).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${operationsPort}/metrics`)).text();
    expect(metrics).toMatch(/^reelgate_dead_letters\{service="ingress"\} 0$/m);
  }, 120_000);
});
