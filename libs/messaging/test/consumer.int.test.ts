import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames, TypedEnvelope } from "@reelgate/contracts";
import { testNats, waitFor } from "@reelgate/testkit";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Consumer, type ConsumerOptions, startConsumer } from "../src/consumer.ts";
import { DEAD_REASON_HEADER, type DeadLetter } from "../src/dead-letter.ts";
import { PoisonMessageError } from "../src/errors.ts";
import type { HandlerContext } from "../src/handle-message.ts";
import { waitForQuiet } from "../src/quiet.ts";
import { jobProgressed, messageCount, openBus, publishEvent, silentLog, streamMessages } from "./fixtures.ts";

const nats = testNats();

describe.skipIf(!nats.url)("durable consumer", () => {
  let nc: NatsConnection;
  let names: NatsNames;
  const consumers: Consumer[] = [];
  beforeEach(async () => {
    ({ nc, names } = await openBus(nats.url!));
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await nc.close();
  });

  const consume = async (options: Partial<ConsumerOptions> & Pick<ConsumerOptions, "handle">) => {
    const consumer = await startConsumer({
      nc,
      names,
      service: "tests",
      purpose: "main",
      filterSubject: names.eventSubject("job", "*"),
      log: silentLog,
      ...options,
    });
    consumers.push(consumer);
    return consumer;
  };
  const quiet = () => waitForQuiet(nc, names, ["tests-main"], 10_000);
  const deadLetters = async () =>
    (await streamMessages(nc, names.deadLetterStream)).map((m) => ({
      header: m.header.get(DEAD_REASON_HEADER),
      subject: m.subject,
      letter: m.json<DeadLetter>(),
    }));

  it("hands each event to the handler, typed and with its context, and acks it", async () => {
    const seen: Array<{ event: TypedEnvelope; ctx: HandlerContext }> = [];
    await consume({ handle: async (event, ctx) => void seen.push({ event, ctx }) });
    const event = jobProgressed("video_ack", 1, 40);
    await publishEvent(nc, names, event);
    await waitFor("handled", () => seen.length === 1);
    await quiet();
    expect(seen[0]?.event).toEqual(event);
    expect(seen[0]?.ctx.deliveryCount).toBe(1);
    const info = await (await jetstreamManager(nc)).consumers.info(names.eventsStream, "tests-main");
    // The server redelivers for ever: the consumer itself dead-letters failures, never waits.
    expect(info.config).toMatchObject({ ack_policy: "explicit", deliver_policy: "all", max_deliver: -1 });
    expect(info.config.filter_subject).toBe(names.eventSubject("job", "*"));
    expect(info.delivered.consumer_seq).toBe(1);
  });

  it("redelivers after the delay a handler asks for with { retryInMs }, not before", async () => {
    const deliveries: number[] = [];
    await consume({
      handle: async (_event, ctx) => {
        deliveries.push(performance.now());
        return ctx.deliveryCount === 1 ? { retryInMs: 1_000 } : undefined;
      },
    });
    await publishEvent(nc, names, jobProgressed("video_poll", 1));
    await waitFor("first delivery", () => deliveries.length === 1);
    // A message waiting out its nak delay still counts against max_ack_pending (hence its generous default).
    const jsm = await jetstreamManager(nc);
    await waitFor(
      "nak'd",
      async () => (await jsm.consumers.info(names.eventsStream, "tests-main")).num_ack_pending === 1,
    );
    await waitFor("second delivery", () => deliveries.length === 2);
    await quiet();
    const gap = deliveries[1]! - deliveries[0]!;
    expect(gap).toBeGreaterThanOrEqual(800);
    expect(gap).toBeLessThan(5_000);
    expect(deliveries).toHaveLength(2);
  });

  it("naks a transient failure and succeeds on the redelivery", async () => {
    const attempts: number[] = [];
    await consume({
      retryDelayMs: () => 100,
      handle: async (_event, ctx) => {
        attempts.push(ctx.deliveryCount);
        if (ctx.deliveryCount === 1) throw new Error("upstream hiccup");
      },
    });
    await publishEvent(nc, names, jobProgressed("video_transient", 1));
    await waitFor("second attempt", () => attempts.length === 2);
    await quiet();
    expect(attempts).toEqual([1, 2]);
    expect(await messageCount(nc, names.deadLetterStream)).toBe(0);
  });

  it("dead-letters a poison message with its reason and does not redeliver it", async () => {
    let calls = 0;
    await consume({
      handle: async () => {
        calls++;
        throw new PoisonMessageError("video has no prompt");
      },
    });
    const event = jobProgressed("video_poison", 1);
    await publishEvent(nc, names, event);
    await waitFor("dead letter", async () => (await messageCount(nc, names.deadLetterStream)) === 1);
    await quiet();
    const [dead] = await deadLetters();
    expect(dead?.subject).toBe(names.deadLetterSubject("tests"));
    expect(dead?.header).toMatch(/video has no prompt/);
    expect(dead?.letter).toMatchObject({
      consumer: "tests-main",
      subject: names.eventSubject("job", "JobProgressed"),
      deliveryCount: 1,
      payload: JSON.stringify(event),
    });
    expect(dead?.letter.reason).toMatch(/PoisonMessageError: video has no prompt/);
    expect(calls).toBe(1);
  });

  it("says so loudly, at error level, when it dead-letters", async () => {
    const lines: Array<{ level: number; msg: string; reason: string; deadLetter: { event: { type: string } } }> = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    await consume({
      log,
      handle: async () => {
        throw new PoisonMessageError("video has no prompt");
      },
    });
    await publishEvent(nc, names, jobProgressed("video_loud", 1));
    await waitFor("the dead-letter line", () => lines.some((line) => line.msg.startsWith("DEAD LETTER")));
    const line = lines.find((entry) => entry.msg.startsWith("DEAD LETTER"))!;
    expect(line.level).toBe(50);
    expect(line.msg).toMatch(
      /tests-main set aside a message.*reelgate dead-letters list \| replay.*video has no prompt/,
    );
    expect(line.deadLetter.event.type).toBe("JobProgressed");
  });

  it("dead-letters payloads that are not valid events without calling the handler", async () => {
    let calls = 0;
    await consume({ handle: async () => void calls++ });
    const subject = names.eventSubject("job", "JobProgressed");
    const js = jetstream(nc);
    await js.publish(subject, "{not json");
    await js.publish(subject, JSON.stringify({ ...jobProgressed("video_bad", 1), data: { videoId: "nope" } }));
    await js.publish(subject, JSON.stringify({ hello: "world" }));
    await waitFor("3 dead letters", async () => (await messageCount(nc, names.deadLetterStream)) === 3);
    await quiet();
    const reasons = (await deadLetters()).map((d) => d.letter.reason);
    expect(reasons[0]).toMatch(/not JSON/);
    expect(reasons[1]).toMatch(/JobProgressed/);
    expect(reasons[2]).toMatch(/not an event envelope/);
    expect(calls).toBe(0);
  });

  it("dead-letters a message that still fails after maxDeliver deliveries", async () => {
    const attempts: number[] = [];
    await consume({
      maxDeliver: 3,
      retryDelayMs: () => 50,
      handle: async (_event, ctx) => {
        attempts.push(ctx.deliveryCount);
        throw new Error("always down");
      },
    });
    await publishEvent(nc, names, jobProgressed("video_exhausted", 1));
    await waitFor("dead letter", async () => (await messageCount(nc, names.deadLetterStream)) === 1);
    await quiet();
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = await deadLetters();
    expect(dead?.letter.reason).toMatch(/failed 3 times.*always down/);
    expect(dead?.letter.deliveryCount).toBe(3);
  });

  it("never dead-letters a message for waiting, however many times it waits (maxDeliver counts failures only)", async () => {
    const outcomes: string[] = [];
    await consume({
      maxDeliver: 2,
      retryDelayMs: () => 20,
      handle: async (_event, ctx) => {
        // Waits 6 times (3 x maxDeliver), fails once, waits again, then is done: no dead letter.
        const outcome = ctx.deliveryCount === 7 ? "fail" : ctx.deliveryCount < 10 ? "wait" : "done";
        outcomes.push(outcome);
        if (outcome === "fail") throw new Error("one hiccup");
        return outcome === "wait" ? { retryInMs: 20 } : undefined;
      },
    });
    await publishEvent(nc, names, jobProgressed("video_waits", 1));
    await waitFor("done after the waits", () => outcomes.includes("done"));
    await quiet();
    expect(outcomes.filter((outcome) => outcome === "wait")).toHaveLength(8);
    expect(await messageCount(nc, names.deadLetterStream)).toBe(0);
  });

  it("dead-letters after maxDeliver failures even when the message waited in between", async () => {
    const outcomes: string[] = [];
    await consume({
      maxDeliver: 2,
      retryDelayMs: () => 20,
      handle: async (_event, ctx) => {
        outcomes.push(ctx.deliveryCount % 2 === 1 ? "wait" : "fail");
        if (ctx.deliveryCount % 2 === 0) throw new Error("down");
        return { retryInMs: 20 };
      },
    });
    await publishEvent(nc, names, jobProgressed("video_waits_fails", 1));
    await waitFor("dead letter", async () => (await messageCount(nc, names.deadLetterStream)) === 1);
    await quiet();
    expect(outcomes).toEqual(["wait", "fail", "wait", "fail"]);
    const [dead] = await deadLetters();
    expect(dead?.letter.reason).toMatch(/failed 2 times.*down/);
  });

  it("stop() waits for the handler in flight, which still acks", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    let started = false;
    const consumer = await consume({
      handle: async () => {
        started = true;
        await gate;
        order.push("handler finished");
      },
    });
    await publishEvent(nc, names, jobProgressed("video_slow", 1));
    await waitFor("handler started", () => started);
    const stopped = consumer.stop().then(() => order.push("stopped"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    await stopped;
    expect(order).toEqual(["handler finished", "stopped"]);
    await quiet(); // acked: nothing pending, nothing awaiting an ack
  });

  it("runs at most `concurrency` handlers at once", async () => {
    let active = 0;
    let peak = 0;
    let done = 0;
    await consume({
      concurrency: 3,
      handle: async () => {
        active++;
        peak = Math.max(peak, active);
        await sleep(30); // simulated work, not a wait for a condition
        active--;
        done++;
      },
    });
    for (let i = 1; i <= 15; i++) await publishEvent(nc, names, jobProgressed("video_many", i));
    await waitFor("all handled", () => done === 15);
    await quiet();
    expect(peak).toBe(3);
  });

  it("pulls a backlog in few large pulls by default: 200 messages are all in its hands at once", async () => {
    // Each pull is a subscription, a request and an unsubscribe: a small default made them most of a
    // service's socket writes. 200 handlers held open at once can only be if one pull asked for them all.
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => publishEvent(nc, names, jobProgressed(`video_backlog${i}`, 1))),
    );
    let held = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await consume({
      handle: async () => {
        held++;
        await released;
      },
    });
    await waitFor("every message of the backlog held at once", () => held === 200);
    const info = await (await jetstreamManager(nc)).consumers.info(names.eventsStream, "tests-main");
    expect(info.num_ack_pending).toBe(200);
    release();
    await quiet();
  });
  it("a consumer split out of another starts after what that one acked; the narrowed one keeps its place", async () => {
    const videoIds = (into: string[]) => async (event: TypedEnvelope) =>
      void into.push((event.data as { videoId: string }).videoId);
    const js = jetstream(nc);
    const parent: string[] = [];
    const before = await consume({ handle: videoIds(parent) });
    await publishEvent(nc, names, jobProgressed("video_before", 1));
    await waitFor("handled by the consumer of job.*", () => parent.length === 1);
    await quiet();
    await before.stop();
    // Published while the service was being upgraded: the split-out consumer must take the first, the
    // narrowed one the second.
    await publishEvent(nc, names, jobProgressed("video_between", 2));
    await js.publish(names.eventSubject("job", "JobQueued"), JSON.stringify(jobProgressed("video_other", 3)));

    const split: string[] = [];
    await consume({
      purpose: "split",
      splitFrom: "main",
      filterSubject: names.eventSubject("job", "JobProgressed"),
      handle: videoIds(split),
    });
    await consume({ filterSubject: names.eventSubject("job", "JobQueued"), handle: videoIds(parent) });
    await waitFor("both handled", () => split.length === 1 && parent.length === 2);
    await waitForQuiet(nc, names, ["tests-main", "tests-split"], 10_000);
    expect(split).toEqual(["video_between"]);
    expect(parent).toEqual(["video_before", "video_other"]);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.consumers.info(names.eventsStream, "tests-main")).config.filter_subject).toBe(
      names.eventSubject("job", "JobQueued"),
    );

    // With no such consumer to start from (a fresh install), it starts at the stream's start.
    const fresh: string[] = [];
    await consume({
      purpose: "fresh",
      splitFrom: "absent",
      filterSubject: names.eventSubject("job", "JobProgressed"),
      handle: videoIds(fresh),
    });
    await waitFor("every JobProgressed handled", () => fresh.length === 2);
    expect(fresh).toEqual(["video_before", "video_between"]);
  });
});
