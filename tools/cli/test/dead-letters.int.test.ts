import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Envelope, type NatsNames, natsNames } from "@reelgate/contracts";
import {
  type Consumer,
  connectNats,
  countDeadLetters,
  ensureStreams,
  PoisonMessageError,
  startConsumer,
} from "@reelgate/messaging";
import { createLogger, createMetrics } from "@reelgate/service-kit";
import { testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const nats = testNats();
const cli = join(import.meta.dirname, "../src/main.ts");
const silent = createLogger("tests", "silent");

describe.skipIf(!nats.url)("reelgate dead-letters list | replay", () => {
  let nc: NatsConnection;
  let names: NatsNames;
  let namespace: string;
  const consumers: Consumer[] = [];
  beforeAll(async () => {
    namespace = uniqueNamespace("dl");
    names = natsNames(namespace);
    nc = await connectNats({ url: nats.url!, name: "dead-letters-test", log: silent });
    await ensureStreams(nc, names);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await nc?.close();
  });

  /** Runs the CLI as its own process against this test's NATS namespace. */
  const run = (...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [cli, ...args],
        { env: { ...process.env, NATS_URL: nats.url!, REELGATE_NAMESPACE: namespace }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const status = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ status, stdout, stderr });
        },
      );
    });
  const jsonLines = (text: string) =>
    text
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  const event = (videoId: string): Envelope => ({
    id: randomUUID(),
    type: "JobProgressed",
    schemaVersion: 1,
    data: { videoId, progress: 10 },
    stream: `job-${videoId}`,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: videoId,
    causationId: null,
    accountId: null,
  });

  it("a poison message is dead-lettered, counted on /metrics, listed, replayed once fixed, and handled", async () => {
    const metrics = createMetrics("tests");
    metrics.countDeadLettersWith(() => countDeadLetters(nc, names, "tests"));
    const gauge = async () => {
      const line = (await metrics.registry.metrics()).split("\n").find((l) => l.startsWith("reelgate_dead_letters{"));
      return line === undefined ? undefined : Number(line.split(" ").at(-1));
    };
    let poisonous = true;
    const handled: string[] = [];
    consumers.push(
      await startConsumer({
        nc,
        names,
        service: "tests",
        purpose: "main",
        filterSubject: names.eventSubject("job", "*"),
        log: silent,
        metrics,
        handle: async (received) => {
          if (poisonous) throw new PoisonMessageError("this consumer cannot read it (a bug, fixed below)");
          handled.push(received.id);
        },
      }),
    );
    expect(await gauge()).toBe(0);
    const poison = event("video_dead1");
    await jetstream(nc).publish(names.eventSubject("job", poison.type), JSON.stringify(poison));
    await waitFor("the gauge shows the dead letter", async () => (await gauge()) === 1);

    const listed = await run("dead-letters", "list", "--quiet");
    expect(listed.status).toBe(0);
    const [letter, ...more] = jsonLines(listed.stdout);
    expect(more).toEqual([]);
    expect(letter).toMatchObject({
      service: "tests",
      consumer: "tests-main",
      subject: names.eventSubject("job", "JobProgressed"),
      eventType: "JobProgressed",
      eventId: poison.id,
      correlationId: "video_dead1",
      reason: expect.stringMatching(/PoisonMessageError: this consumer cannot read it/),
    });
    expect(listed.stdout.trim().split("\n").at(-1)).toBe("1 dead letters");
    expect(handled).toEqual([]);

    poisonous = false;
    // With its progress bar on stderr.
    const replayed = await run("dead-letters", "replay", "--service", "tests", "--seq", String(letter!.seq));
    expect(replayed.status).toBe(0);
    expect(replayed.stdout.trim()).toBe("replayed 1 dead letters");
    expect(replayed.stderr).toMatch(/replay \[.*\] 100% \| 1\/1 dead letters/);
    await waitFor("the replayed event handled", () => handled.includes(poison.id));
    await waitFor("the gauge back to 0", async () => (await gauge()) === 0);
    const after = await run("dead-letters", "list", "--quiet");
    expect(after.stdout.trim()).toBe("0 dead letters");
    expect(handled).toEqual([poison.id]);
  });

  it("refuses a wrong call with exit 2", async () => {
    expect((await run("dead-letters", "purge")).status).toBe(2);
    expect((await run("dead-letters", "list", "--seq", "3")).status).toBe(2);
    expect((await run("rebuild", "--service", "x")).status).toBe(2);
  });
});
