import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsNames } from "@reelgate/contracts";
import {
  freePort,
  natsServerBinary,
  type RunningNats,
  startNatsServer,
  uniqueNamespace,
  waitFor,
} from "@reelgate/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { connectNats } from "../src/connect.ts";
import { startConsumer } from "../src/consumer.ts";
import { startRelay } from "../src/relay.ts";
import { ensureStreams } from "../src/streams.ts";
import { jobProgressed, memoryOutbox, messageCount, silentLog } from "./fixtures.ts";

describe.skipIf(!natsServerBinary())("through a nats-server restart", () => {
  const storeDir = mkdtempSync(join(tmpdir(), "reelgate-messaging-restart-"));
  let server: RunningNats | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("the relay and a consumer carry on once the server is back", async () => {
    const port = await freePort();
    server = await startNatsServer({ port, storeDir });
    const names = natsNames(uniqueNamespace("restart"));
    const nc = await connectNats({ url: server.url, name: "restart-test", log: silentLog });
    await ensureStreams(nc, names);
    const store = memoryOutbox();
    const relay = startRelay({ store, nc, names, log: silentLog, intervalMs: 50, maxBackoffMs: 500 });
    const handled: string[] = [];
    const consumer = await startConsumer({
      nc,
      names,
      service: "restart",
      purpose: "main",
      filterSubject: names.eventSubject("job", "*"),
      log: silentLog,
      handle: async (event) => void handled.push(event.id),
    });

    const before = jobProgressed("video_restart", 1);
    store.append(before);
    relay.notify();
    await waitFor("first event handled", () => handled.includes(before.id));

    await server.stop();
    const during = jobProgressed("video_restart", 2);
    store.append(during); // appended while NATS is down: the outbox keeps it
    relay.notify();
    server = await startNatsServer({ port, storeDir });

    await waitFor("event appended during the outage handled", () => handled.includes(during.id), { timeoutMs: 30_000 });
    const after = jobProgressed("video_restart", 3);
    store.append(after);
    relay.notify();
    await waitFor("event after the restart handled", () => handled.includes(after.id), { timeoutMs: 30_000 });

    await consumer.stop();
    await relay.stop();
    expect(handled).toEqual([before.id, during.id, after.id]);
    expect(await messageCount(nc, names.eventsStream)).toBe(3);
    await nc.close();
  });
});
