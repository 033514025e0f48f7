import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { createLogger, loadConfig } from "@reelgate/service-kit";
import {
  freePort,
  natsServerBinary,
  type RunningNats,
  startNatsServer,
  uniqueNamespace,
  waitFor,
} from "@reelgate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type Runtime, startRuntime } from "../src/index.ts";

/** A logger whose lines the test can read. */
const capturedLog = () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("nats-start-test", "warn", { write: (line: string) => void lines.push(JSON.parse(line)) });
  const saw = (text: string) => lines.some((line) => String(line.msg).includes(text));
  return { log, saw };
};

describe.skipIf(!natsServerBinary())("a service's start while NATS is down", () => {
  const dirs: string[] = [];
  let server: RunningNats | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    // A stopped server first wakes, or the runtime's drain would wait on it.
    if (server?.process.exitCode === null) server.process.kill("SIGCONT");
    await runtime?.stop();
    runtime = undefined;
    await server?.stop();
    server = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const configFor = (natsUrl: string, startTimeoutSeconds: number) => {
    const dir = mkdtempSync(join(tmpdir(), "reelgate-nats-start-"));
    dirs.push(dir);
    return loadConfig({
      NATS_URL: natsUrl,
      REELGATE_DATA_DIR: dir,
      REELGATE_NAMESPACE: uniqueNamespace("natsstart"),
      REELGATE_NATS_START_TIMEOUT_SECONDS: String(startTimeoutSeconds),
    });
  };

  it("waits for nats-server to come up, then connects, sets up the streams and starts its consumers", async () => {
    const port = await freePort();
    const config = configFor(`nats://127.0.0.1:${port}`, 120);
    const { log, saw } = capturedLog();
    const starting = startRuntime({ service: "waiter", config, log });
    let outcome: "started" | Error | undefined;
    starting.then(
      () => (outcome = "started"),
      (error: Error) => (outcome = error),
    );
    await waitFor("a refused connect logged", () => saw("NATS not ready (connect"), { timeoutMs: 30_000 });
    expect(outcome).toBeUndefined();

    server = await startNatsServer({ port });
    runtime = await starting;
    const jsm = await jetstreamManager(runtime.nc);
    expect((await jsm.streams.info(runtime.names.eventsStream)).config.name).toBe(runtime.names.eventsStream);

    // JetStream stops answering (a server stopped, not gone) while a consumer is set up: the start waits it out.
    server.process.kill("SIGSTOP");
    const consuming = runtime.consume({
      purpose: "main",
      filterSubject: runtime.names.eventSubject("job", "*"),
      handle: async () => undefined,
    });
    await waitFor("a JetStream timeout logged", () => saw("NATS not ready (consumer waiter-main)"), {
      timeoutMs: 60_000,
    });
    server.process.kill("SIGCONT");
    await consuming;
    expect((await jsm.consumers.info(runtime.names.eventsStream, "waiter-main")).config.durable_name).toBe(
      "waiter-main",
    );
  }, 150_000);

  it("gives up after the start timeout, naming NATS", async () => {
    const port = await freePort();
    const { log } = capturedLog();
    const startedAt = Date.now();
    await expect(
      startRuntime({ service: "waiter", config: configFor(`nats://127.0.0.1:${port}`, 1), log }),
    ).rejects.toThrow(/NATS not ready within 1 s \(connect to nats:\/\/127\.0\.0\.1:\d+\)/);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
  }, 30_000);

  it.each(["nats://bad host:4222", "http://127.0.0.1:4222", "nats://127.0.0.1:99999"])(
    "fails at once on a malformed URL (%s)",
    async (url) => {
      const { log, saw } = capturedLog();
      await expect(startRuntime({ service: "waiter", config: configFor(url, 120), log })).rejects.toThrow(/NATS_URL: /);
      expect(saw("NATS not ready")).toBe(false);
    },
  );
});
