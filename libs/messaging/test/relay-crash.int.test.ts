import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type NatsNames, natsNames } from "@reelgate/contracts";
import { type EventStore, openSqliteEventStore } from "@reelgate/event-store";
import { testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectNats } from "../src/connect.ts";
import { type Consumer, startConsumer } from "../src/consumer.ts";
import { waitForQuiet } from "../src/quiet.ts";
import { type Relay, startRelay } from "../src/relay.ts";
import { ensureStreams } from "../src/streams.ts";
import { messageCount, silentLog, streamMessages } from "./fixtures.ts";

const nats = testNats();
const child = resolve(import.meta.dirname, "outbox-crash-child.ts");

/** Runs the crash child until it prints a line with `key`, then SIGKILLs it: the crash, at that point. */
const runAndKillAfter = async (key: string, args: string[]): Promise<Record<string, string>> => {
  const process_: ChildProcess = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<NodeJS.Signals | number | null>((done) =>
    process_.once("exit", (code, signal) => done(signal ?? code)),
  );
  let stdout = "";
  let stderr = "";
  process_.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  process_.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  try {
    return await waitFor(`the crash child to print "${key}"`, () => {
      if (process_.exitCode !== null) throw new Error(`crash child exited ${process_.exitCode}: ${stderr}`);
      const lines = stdout.split("\n").filter(Boolean);
      return lines.map((line) => JSON.parse(line) as Record<string, string>).find((line) => key in line);
    });
  } finally {
    process_.kill("SIGKILL");
    expect(await exited).toBe(process_.exitCode === null ? "SIGKILL" : process_.exitCode);
  }
};

describe.skipIf(!nats.url)("outbox relay across a crash, on the file-backed SQLite event store", () => {
  let nc: NatsConnection;
  let names: NatsNames;
  let namespace: string;
  let dir: string;
  let store: EventStore | undefined;
  let relay: Relay | undefined;
  let consumer: Consumer | undefined;
  const handled: string[] = [];

  beforeEach(async () => {
    namespace = uniqueNamespace("crash");
    names = natsNames(namespace);
    nc = await connectNats({ url: nats.url!, name: "relay-crash-test", log: silentLog });
    await ensureStreams(nc, names);
    dir = mkdtempSync(join(tmpdir(), "reelgate-relay-crash-"));
    handled.length = 0;
  });
  afterEach(async () => {
    await relay?.stop();
    await consumer?.stop();
    await store?.close();
    relay = consumer = store = undefined;
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The restart: reopen the store from its file, start a real consumer and the relay over it. */
  const restart = async (dbPath: string) => {
    store = openSqliteEventStore(dbPath);
    const before = await store.unpublished(100);
    consumer = await startConsumer({
      nc,
      names,
      service: "crash",
      purpose: "main",
      filterSubject: names.eventSubject("job", "*"),
      log: silentLog,
      handle: async (event) => void handled.push(event.id),
    });
    relay = startRelay({ store, nc, names, log: silentLog, intervalMs: 50 });
    return before;
  };
  const outboxEmpty = async () => (await store!.unpublished(100)).events.length === 0;

  it("an event appended by a process SIGKILLed before any publish is delivered once after the restart", async () => {
    const dbPath = join(dir, "job.events.db");
    const { appended } = await runAndKillAfter("appended", ["append", dbPath]);
    expect(await messageCount(nc, names.eventsStream)).toBe(0); // it died with the event only in the outbox

    const before = await restart(dbPath);
    expect(before.events.map((event) => event.id)).toEqual([appended]);
    await waitFor("the event handled", () => handled.includes(appended!));
    await waitFor("the outbox empty", outboxEmpty);
    await waitForQuiet(nc, names, ["crash-main"], 10_000);

    expect(handled).toEqual([appended]);
    expect(await messageCount(nc, names.eventsStream)).toBe(1);
    const [message] = await streamMessages(nc, names.eventsStream);
    expect(message?.header.get("Nats-Msg-Id")).toBe(appended);
  });

  it("an event published by a process SIGKILLed before markPublished is republished after the restart, and delivered once (Nats-Msg-Id dedup)", async () => {
    const dbPath = join(dir, "job.events.db");
    const { published } = await runAndKillAfter("published", ["publish", dbPath, nats.url!, namespace]);
    expect(await messageCount(nc, names.eventsStream)).toBe(1);

    const before = await restart(dbPath);
    // The crash window: on the stream, yet still unpublished in the outbox, so the new relay publishes it again.
    expect(before.events.map((event) => event.id)).toEqual([published]);
    await waitFor("the outbox empty", outboxEmpty);
    await waitFor("the event handled", () => handled.includes(published!));
    await waitForQuiet(nc, names, ["crash-main"], 10_000);

    expect(handled).toEqual([published]);
    expect(await messageCount(nc, names.eventsStream)).toBe(1);
    const info = await (await jetstreamManager(nc)).consumers.info(names.eventsStream, "crash-main");
    expect(info.delivered.stream_seq).toBe(1);
    expect(info.num_redelivered).toBe(0);
  });

  it("a relay stopped over an unmarked batch and a fresh relay over the reopened file publish it once", async () => {
    const dbPath = join(dir, "job.events.db");
    const first = openSqliteEventStore(dbPath);
    const { appended } = await (async () => {
      const { events } = await first.append(
        "job-video_rerun",
        [
          {
            id: crypto.randomUUID(),
            type: "JobProgressed",
            schemaVersion: 1,
            data: { videoId: "video_rerun", progress: 10 },
            occurredAt: new Date().toISOString(),
            correlationId: "video_rerun",
            causationId: null,
            accountId: null,
          },
        ],
        { expectedVersion: 0 },
      );
      return { appended: events[0]!.id };
    })();
    // A relay whose markPublished never reaches the store: published, then the "crash".
    let marks = 0;
    const crashing = startRelay({
      store: {
        unpublished: (limit) => first.unpublished(limit),
        markPublished: async () => {
          marks++;
          throw new Error("crashed before markPublished");
        },
      },
      nc,
      names,
      log: silentLog,
      intervalMs: 60_000,
    });
    await expect(crashing.drain()).rejects.toThrow(/crashed before markPublished/);
    await crashing.stop();
    await first.close();
    expect(marks).toBeGreaterThanOrEqual(1); // its first tick may have tried too: every try published the same event
    expect(await messageCount(nc, names.eventsStream)).toBe(1);

    await restart(dbPath);
    await waitFor("the outbox empty", outboxEmpty);
    await waitFor("the event handled", () => handled.includes(appended));
    await waitForQuiet(nc, names, ["crash-main"], 10_000);
    expect(handled).toEqual([appended]);
    expect(await messageCount(nc, names.eventsStream)).toBe(1);
  });
});
