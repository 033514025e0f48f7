import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsNames } from "@reelgate/contracts";
import { ensureStreams, inboxPrefixOf, requestRpc, serveRpc } from "@reelgate/messaging";
import { createLogger } from "@reelgate/service-kit";
import { freePort, natsServerBinary, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLocalNatsConfig } from "../src/nats-config.ts";
import { portAccepts } from "../src/processes.ts";
import { type Stack, startStack } from "../src/stack.ts";

const binary = natsServerBinary();
if (!binary) console.warn("nats-server is not installed: the NATS permission tests are skipped");
const log = createLogger("test", "silent");
const cli = join(import.meta.dirname, "../../cli/src/main.ts");

describe.skipIf(!binary)("npm start's nats-server: a user per service with only its subjects", () => {
  const namespace = uniqueNamespace("auth");
  const names = natsNames(namespace);
  let dataDir: string;
  let server: ChildProcess;
  let url: string;
  let credentials: ReturnType<typeof writeLocalNatsConfig>["credentials"];
  const connections: NatsConnection[] = [];
  const as = async (service: string) => {
    const { NATS_USER, NATS_PASSWORD } = credentials[service]!;
    const nc = await connect({
      servers: url,
      user: NATS_USER,
      pass: NATS_PASSWORD,
      inboxPrefix: inboxPrefixOf(service),
    });
    connections.push(nc);
    return nc;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "reelgate-nats-auth-"));
    const port = await freePort();
    const config = writeLocalNatsConfig({ dataDir, port, namespace });
    credentials = config.credentials;
    expect(statSync(config.file).mode & 0o077).toBe(0);
    server = spawn(binary!, ["-c", config.file], { stdio: "ignore" });
    url = `nats://127.0.0.1:${port}`;
    await waitFor("nats-server", () => portAccepts(port), { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps each service's password across restarts, one per service", () => {
    const again = writeLocalNatsConfig({ dataDir, port: 1, namespace }).credentials;
    expect(again).toEqual(credentials);
    expect(Object.keys(credentials).sort()).toEqual([
      "billing",
      "ingress",
      "notifier",
      "operator",
      "poller",
      "storage",
    ]);
    expect(new Set(Object.values(credentials).map((user) => user.NATS_PASSWORD)).size).toBe(6);
  });

  it("refuses a connection without credentials, or with another service's password", async () => {
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(
      connect({ servers: url, user: "poller", pass: credentials.billing!.NATS_PASSWORD, reconnect: false }),
    ).rejects.toThrow(/authorization/i);
  });

  it("lets each service do its work: streams, its own events, a durable pull with acks, billing's RPC, the poller's KV", async () => {
    const billing = await as("billing");
    await ensureStreams(billing, names);
    const server = serveRpc({
      nc: billing,
      subject: names.rpcSubject("billing", "getAccount"),
      queue: "billing",
      handle: async (request) => ({ ok: true, echoed: request }),
      log,
    });
    const ingress = await as("ingress");
    expect(await requestRpc(ingress, names.rpcSubject("billing", "getAccount"), { accountId: "acct_1" })).toEqual({
      ok: true,
      echoed: { accountId: "acct_1" },
    });
    await server.stop();

    // Ingress publishes a task event; storage pulls it through its own durable consumer and acks it.
    const published = await jetstream(ingress).publish(names.eventSubject("task", "VideoRequested"), "{}");
    expect(published.stream).toBe(names.eventsStream);
    const storage = await as("storage");
    await ensureStreams(storage, names);
    await (await jetstreamManager(storage)).consumers.add(names.eventsStream, {
      durable_name: "storage-test",
      ack_policy: AckPolicy.Explicit,
      filter_subject: names.eventSubject("task", "VideoRequested"),
    });
    const consumer = await jetstream(storage).consumers.get(names.eventsStream, "storage-test");
    const message = await consumer.next({ expires: 5_000 });
    expect(message?.subject).toBe(names.eventSubject("task", "VideoRequested"));
    expect(await message!.ackAck()).toBe(true);
    await jetstream(storage).publish(names.deadLetterSubject("storage"), "{}");

    const poller = await as("poller");
    const bucket = await new Kvm(poller).create(`${namespace}_poller_channels`, { history: 1 });
    await bucket.put("slots.main", "1");
    expect((await bucket.get("slots.main"))?.string()).toBe("1");
  });

  it("refuses what a service may not: the poller answering billing's RPC or writing billing's events", async () => {
    const poller = await as("poller");
    const impostor = poller.subscribe(names.rpcSubject("billing", "*"));
    await expect(impostor.closed).resolves.toBeInstanceOf(Error);
    expect(String(await impostor.closed)).toMatch(/permissions violation/i);

    await expect(
      jetstream(poller).publish(names.eventSubject("account", "FundsCredited"), "{}", { timeout: 2_000 }),
    ).rejects.toThrow();
    await expect(
      jetstream(poller).publish(names.eventSubject("task", "VideoRequested"), "{}", { timeout: 2_000 }),
    ).rejects.toThrow();
    const jsm = await jetstreamManager(await as("billing"));
    const info = await jsm.streams.info(names.eventsStream, { subjects_filter: ">" });
    expect(Object.keys(info.state.subjects ?? {})).not.toContain(names.eventSubject("account", "FundsCredited"));

    // Only billing may take billing's requests: the ingress user cannot listen on them either.
    const ingress = await as("ingress");
    const listening = ingress.subscribe(names.rpcSubject("billing", "credit"));
    expect(String(await listening.closed)).toMatch(/permissions violation/i);

    // Nobody reads another service's answers: storage cannot listen on ingress's inboxes.
    const storage = await as("storage");
    const eavesdropper = storage.subscribe(`${inboxPrefixOf("ingress")}.>`);
    expect(String(await eavesdropper.closed)).toMatch(/permissions violation/i);
  });

  it("runs the CLI's dead-letter commands as a service's own user (its answers come to that user's inboxes)", async () => {
    await ensureStreams(await as("billing"), names);
    const { NATS_USER, NATS_PASSWORD } = credentials.billing!;
    const listed = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, "dead-letters", "list", "--service", "billing"], {
        env: { ...process.env, NATS_URL: url, NATS_USER, NATS_PASSWORD, REELGATE_NAMESPACE: namespace },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      child.stderr.on("data", (chunk) => (out += chunk));
      child.on("exit", (code) => resolve({ code, out }));
    });
    expect(listed.out).toContain("0 dead letters of billing");
    expect(listed.code).toBe(0);
  }, 60_000);
});

describe.skipIf(!binary)("the platform on npm start's authenticated nats-server", () => {
  let stack: Stack | undefined;
  let dataDir: string;
  afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("makes a video end to end with every service as its own NATS user", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "reelgate-nats-stack-"));
    stack = await startStack({
      dataDir,
      natsPort: await freePort(),
      namespace: uniqueNamespace("auth"),
      simulatorJobMs: 300,
      logLevel: "warn",
    });
    await expect(connect({ servers: stack.natsUrl, reconnect: false })).rejects.toThrow(/authorization/i);
    const admin = { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" };
    const account = (await (
      await fetch(`${stack.url}/admin/v1/accounts`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ name: "auth", credits_usd: "5" }),
      })
    ).json()) as { id: string };
    const { key } = (await (
      await fetch(`${stack.url}/admin/v1/accounts/${account.id}/keys`, { method: "POST", headers: admin, body: "{}" })
    ).json()) as { key: string };
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const created = await fetch(`${stack.url}/v1/videos`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "sora-2", prompt: "authenticated", seconds: "4", size: "720x1280" }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const done = await waitFor(
      "the video to complete",
      async () => {
        const video = (await (await fetch(`${stack!.url}/v1/videos/${id}`, { headers })).json()) as { status: string };
        return video.status === "completed" || video.status === "failed" ? video : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(done.status).toBe("completed");
    const settled = await waitFor(
      "the capture",
      async () => {
        const response = await fetch(`${stack!.url}/admin/v1/accounts/${account.id}`, { headers: admin });
        const balance = (await response.json()) as { balance_usd: string; reserved_usd: string };
        return balance.reserved_usd === "0.000000" && balance;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(settled.balance_usd).toBe("4.600000");
  });
});
