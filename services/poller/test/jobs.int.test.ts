import type { NatsConnection } from "@nats-io/transport-node";
import { MAX_EVENTS_PER_COMMIT } from "@reelgate/event-store";
import { testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { providerFor } from "@reelgate/upstream";
import { beforeAll, describe, expect, it } from "vitest";
import { openChannelBucket } from "../src/adapters/channel-bucket.ts";
import { channelCoolDowns } from "../src/adapters/channel-cooldowns.ts";
import { channelSlots } from "../src/adapters/channel-slots.ts";
import { followKeyOf } from "../src/adapters/follow-claims.ts";
import { jobs } from "../src/handlers/jobs.ts";
import { ctx, envelope, funded, log, newId, pollerHarness, requested } from "./support/poller-harness.ts";

const nats = testNats();

describe.skipIf(!nats.url)("poller handlers on real NATS KV, SQLite and the simulator", () => {
  const { nc: connection, channel, poller, follow, control } = pollerHarness(nats.url!);
  let nc: NatsConnection;
  beforeAll(() => {
    nc = connection();
  });
  const faults = (name: string, body: object) => control(name, "faults", body);
  const upstreamJobs = async (name: string) =>
    (await (await control(name, "jobs")).json()) as Array<{
      id: string;
      status: string;
      error: { code: string } | null;
    }>;

  it("max_concurrent is one count for all replicas: ten racing acquirers on two replicas get exactly two slots", async () => {
    const namespace = uniqueNamespace("p");
    const never = async () => false;
    const one = channelSlots(await openChannelBucket(nc, namespace), { isDone: never, now: Date.now });
    const two = channelSlots(await openChannelBucket(nc, namespace), { isDone: never, now: Date.now });
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 ? one : two).acquire("narrow", `video_${index}`, 2)),
    );
    expect(won.filter(Boolean)).toHaveLength(2);
    expect(await one.holders("narrow")).toHaveLength(2);
    // A holder asks again (a redelivery): it keeps its slot, takes no second one.
    const holder = (await two.holders("narrow"))[0]!;
    expect(await one.acquire("narrow", holder, 2)).toBe(true);
    await one.release("narrow", holder);
    expect(await two.acquire("narrow", "video_late", 2)).toBe(true);
    // A slot whose job ended without giving it back (a crash) is reclaimed when the channel looks full.
    const reclaiming = channelSlots(await openChannelBucket(nc, namespace), {
      isDone: async () => true,
      now: Date.now,
    });
    expect(await reclaiming.acquire("narrow", "video_next", 2)).toBe(true);
  });

  it("a Retry-After one replica was told is honoured by the other, and by one started later", async () => {
    const first = await poller([]);
    const second = await poller([], {}, first.namespace);
    const until = Date.now() + 60_000;
    await first.coolDowns.hold("busy", until);
    await waitFor("the other replica to know", () => second.coolDowns.until("busy") === until);
    const later = await channelCoolDowns(await openChannelBucket(nc, first.namespace));
    expect(later.until("busy")).toBe(until);
    for (const each of [first, second]) each.coolDowns.stop();
    later.stop();
  });

  it("a second copy of a JobSubmitted (another stream sequence) starts no second poll chain", async () => {
    const { handlers, namespace } = await poller([channel("copies")]);
    // Long enough that the job is still running at the first poll, however loaded the machine.
    await faults("copies", { jobDurationMs: 5_000 });
    const id = newId();
    await handlers.onVideoRequested(requested(id));
    await handlers.onFundsReserved(funded(id), ctx);
    const submitted = envelope("JobSubmitted", (await handlers.records.load(id)).submission!);
    const original = await handlers.onJobSubmitted(submitted, { ...ctx, streamSequence: 10 });
    expect(original).toEqual({ retryInMs: expect.any(Number) });
    // The copy stops at once, on this replica and on another one (which knows only the KV).
    expect(await handlers.onJobSubmitted(submitted, { ...ctx, streamSequence: 11 })).toBeUndefined();
    const { handlers: replica } = await poller([channel("copies")], {}, namespace);
    expect(await replica.onJobSubmitted(submitted, { ...ctx, streamSequence: 11 })).toBeUndefined();
    // The original's redeliveries go on polling until the job ends.
    for (let result = original; result; ) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(result!.retryInMs, 100)));
      result = await handlers.onJobSubmitted(submitted, { log, streamSequence: 10 });
    }
    expect((await handlers.records.load(id)).outcome).toBe("completed");
  });

  it("a job that ends at its first poll writes no follow claim; one that goes on claims and gives it back at its end", async () => {
    const first = await poller([channel("claims")]);
    const { handlers, bucket } = first;
    const polls = async () =>
      ((await (await control("claims", "requests")).json()) as Array<{ method: string }>).filter(
        (request) => request.method === "GET",
      ).length;
    // Done before its first poll: followed to its end without a KV write.
    await faults("claims", { jobDurationMs: 0 });
    const quick = newId();
    await handlers.onVideoRequested(requested(quick));
    await handlers.onFundsReserved(funded(quick), ctx);
    const quickJob = (await handlers.records.load(quick)).submission!;
    expect(await handlers.onJobSubmitted(envelope("JobSubmitted", quickJob), ctx)).toBeUndefined();
    expect((await handlers.records.load(quick)).outcome).toBe("completed");
    expect(await bucket.get(followKeyOf(quick, quickJob.upstreamId))).toBeNull();
    // Still running at its first poll: the claim is taken before the message comes back, and deleted at the end.
    await faults("claims", { jobDurationMs: 5_000 });
    const slow = newId();
    await handlers.onVideoRequested(requested(slow));
    await handlers.onFundsReserved(funded(slow), ctx);
    const slowJob = (await handlers.records.load(slow)).submission!;
    const submitted = envelope("JobSubmitted", slowJob);
    expect(await handlers.onJobSubmitted(submitted, { ...ctx, streamSequence: 20 })).toEqual({
      retryInMs: expect.any(Number),
    });
    expect((await bucket.get(followKeyOf(slow, slowJob.upstreamId)))?.string()).toBe("20");
    // Other processes know nothing of it. A copy's first delivery polls once before KV tells it it is a copy, and
    // stops; a redelivered copy asks KV first and stops without polling; the claimer's own redelivery goes on.
    const { handlers: replica } = await poller([channel("claims")], { store: first.deps.store }, first.namespace);
    const before = await polls();
    expect(await replica.onJobSubmitted(submitted, { ...ctx, streamSequence: 21 })).toBeUndefined();
    expect(await polls()).toBe(before + 1);
    const { handlers: another } = await poller([channel("claims")], { store: first.deps.store }, first.namespace);
    expect(await another.onJobSubmitted(submitted, { ...ctx, streamSequence: 22, deliveryCount: 2 })).toBeUndefined();
    expect(await polls()).toBe(before + 1);
    expect((await bucket.get(followKeyOf(slow, slowJob.upstreamId)))?.string()).toBe("20");
    for (
      let result = await replica.onJobSubmitted(submitted, { ...ctx, streamSequence: 20, deliveryCount: 2 });
      result;
    ) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(result!.retryInMs, 100)));
      result = await replica.onJobSubmitted(submitted, { ...ctx, streamSequence: 20, deliveryCount: 3 });
    }
    expect((await replica.records.load(slow)).outcome).toBe("completed");
    expect((await bucket.get(followKeyOf(slow, slowJob.upstreamId)))?.operation).toBe("DEL");
  });

  it("a job whose create answers that it has ended is recorded ended with its submission, and never polled", async () => {
    const { handlers, deps } = await poller([channel("at-once")]);
    const requests = async () =>
      (await (await control("at-once", "requests")).json()) as Array<{ method: string; path?: string; url?: string }>;
    await faults("at-once", { jobDurationMs: 0 });
    const done = newId();
    await handlers.onVideoRequested(requested(done));
    await handlers.onFundsReserved(funded(done), ctx);
    const state = await handlers.records.load(done);
    expect(state.outcome).toBe("completed");
    // JobCompleted right behind JobSubmitted (queued together: one group commit).
    const events = await deps.store.readStream(`job-${done}`);
    expect(events.map((event) => event.type).slice(-2)).toEqual(["JobSubmitted", "JobCompleted"]);
    // In one commit, too: one append and one outbox row for the two (a position is its commit's, times 1,000, plus its index).
    const commitOf = (position: number) => Math.floor(position / MAX_EVENTS_PER_COMMIT);
    const [submittedEvent, completedEvent] = events.slice(-2);
    expect(commitOf(completedEvent!.position)).toBe(commitOf(submittedEvent!.position));
    expect(await handlers.onJobSubmitted(envelope("JobSubmitted", state.submission!), ctx)).toBeUndefined();
    expect((await requests()).map((request) => request.method)).toEqual(["POST"]);
    // One still running when created is polled as before.
    await faults("at-once", { jobDurationMs: 5_000 });
    const slow = newId();
    await handlers.onVideoRequested(requested(slow));
    await handlers.onFundsReserved(funded(slow), ctx);
    const running = await handlers.records.load(slow);
    expect(running.outcome).toBeUndefined();
    expect(await handlers.onJobSubmitted(envelope("JobSubmitted", running.submission!), ctx)).toEqual({
      retryInMs: expect.any(Number),
    });
    expect((await requests()).map((request) => request.method)).toEqual(["POST", "POST", "GET"]);
  });

  it.each([
    [503, "a failed try"],
    [400, "a request the upstream calls wrong"],
  ])(
    "two deliveries of one FundsReserved at once: the one whose call is answered %i (%s) does not end the job the other submitted",
    async (status) => {
      const race = channel(`race-${status}`, { max_concurrent: 2 });
      // The order a SIGSTOPped poller's redelivery met in a chaos run, made certain: the first try's answer is held until
      // the second delivery (which found that try in doubt and resumed it) is calling too; the second call goes out
      // once the first try is on record, to an upstream that answers it 503.
      const gate = () => {
        let open = () => {};
        const opened = new Promise<void>((resolve) => {
          open = resolve;
        });
        return { open, opened };
      };
      const secondCalling = gate();
      const firstRecorded = gate();
      let calls = 0;
      const { handlers, eventTypes, deps } = await poller([race], {
        providerFor: (target) => {
          const real = providerFor(target);
          return {
            ...real,
            submit: async (...args: Parameters<typeof real.submit>) => {
              if (++calls === 1) {
                const answer = await real.submit(...args);
                await secondCalling.opened;
                return answer;
              }
              secondCalling.open();
              await firstRecorded.opened;
              await faults(race.id, { submit: { status, count: 1 } });
              return real.submit(...args);
            },
          };
        },
      });
      await faults(race.id, { jobDurationMs: 200 });
      const id = newId();
      await handlers.onVideoRequested(requested(id));
      const reserved = funded(id);
      const first = handlers.onFundsReserved(reserved, ctx);
      await waitFor("the first try's call", async () => calls === 1);
      const second = handlers.onFundsReserved(reserved, { ...ctx, deliveryCount: 2 });
      expect(await first).toBeUndefined();
      firstRecorded.open();
      await second;
      expect(calls).toBe(2);
      expect((await handlers.records.load(id)).submission?.channelId).toBe(race.id);
      expect(await eventTypes(id)).toEqual(["JobQueued", "SubmitAttempted", "JobSubmitted"]);
      // The failed call gave back no slot: the job that runs upstream still holds its own.
      expect(await deps.slots.holders(race.id)).toEqual([id]);
      await follow(handlers, id);
      expect((await handlers.records.load(id)).outcome).toBe("completed");
      expect(await deps.slots.holders(race.id)).toEqual([]);
    },
  );

  it("a job waits while every eligible channel is full, and goes once a slot frees", async () => {
    const { handlers } = await poller([channel("full", { max_concurrent: 1 })]);
    const [first, second] = [newId(), newId()];
    for (const id of [first, second]) await handlers.onVideoRequested(requested(id));
    expect(await handlers.onFundsReserved(funded(first), ctx)).toBeUndefined();
    expect(await handlers.onFundsReserved(funded(second), ctx)).toEqual({ retryInMs: expect.any(Number) });
    await follow(handlers, first);
    expect(await handlers.onFundsReserved(funded(second), ctx)).toBeUndefined();
    expect((await handlers.records.load(second)).submission?.channelId).toBe("full");
  });

  it("a FundsReserved ahead of its VideoRequested waits in its handler and submits once the job is queued", async () => {
    const { handlers } = await poller([channel("waits")], { requestWaitMs: 60_000 });
    const id = newId();
    const funding = handlers.onFundsReserved(funded(id), ctx);
    await handlers.onVideoRequested(requested(id));
    // Woken by the intake, long before its 60 s wait runs out (the test's own timeout is shorter).
    expect(await funding).toBeUndefined();
    expect((await handlers.records.load(id)).submission?.channelId).toBe("waits");
  });

  it("a FundsReserved whose request does not come comes back, twice as late each delivery up to 2 s", async () => {
    const { handlers } = await poller([channel("early")], { requestWaitMs: 1 });
    const id = newId();
    const waits = [];
    for (const deliveryCount of [1, 2, 3, 4, 5, 12])
      waits.push(await handlers.onFundsReserved(funded(id), { ...ctx, deliveryCount }));
    expect(waits).toEqual([250, 500, 1_000, 2_000, 2_000, 2_000].map((ms) => ({ retryInMs: ms })));
    await handlers.onVideoRequested(requested(id));
    expect(await handlers.onFundsReserved(funded(id), { ...ctx, deliveryCount: 13 })).toBeUndefined();
    expect((await handlers.records.load(id)).submission?.channelId).toBe("early");
  });

  it("past the deadline a job fails (timeout); a completion that comes later is recorded, not dropped", async () => {
    const { handlers, eventTypes } = await poller([channel("slow")], { deadlineMs: 200, lateWindowMs: 30_000 });
    await faults("slow", { jobDurationMs: 1_500 });
    const id = newId();
    await handlers.onVideoRequested(requested(id));
    await handlers.onFundsReserved(funded(id), ctx);
    await follow(handlers, id);
    const state = await handlers.records.load(id);
    expect(state.failure?.code).toBe("timeout");
    expect(state.completedLate).toBe(true);
    expect(await eventTypes(id)).toEqual([
      "JobQueued",
      "SubmitAttempted",
      "JobSubmitted",
      "JobFailed",
      "JobCompletedLate",
    ]);
  });

  it("a chat stream lost with its poller is submitted again when its FundsReserved comes back", async () => {
    const chat = channel("chatlost", { provider: "chat-sse" });
    const first = await poller([chat]);
    const id = newId();
    await first.handlers.onVideoRequested(requested(id, "sora_video2"));
    // The first poller "dies" mid-stream: its handler never finishes (we abandon it once the job is submitted).
    const crashed = new AbortController();
    await faults("chatlost", { jobDurationMs: 60_000 });
    void first.handlers
      .onFundsReserved(funded(id), { ...ctx, working: () => crashed.signal.throwIfAborted() })
      .catch(() => undefined);
    await waitFor("the stream to start", async () => (await first.handlers.records.load(id)).submission);
    await faults("chatlost", { jobDurationMs: 200 });
    // Another replica (sharing the store) gets the redelivered message.
    const second = jobs(first.deps);
    // The lost try counts as one failure of the channel: it is tried again after the backoff.
    for (let result = await second.onFundsReserved(funded(id), ctx); result; ) {
      await new Promise((resolve) => setTimeout(resolve, result?.retryInMs));
      result = await second.onFundsReserved(funded(id), ctx);
    }
    const state = await second.records.load(id);
    expect(state.attempts).toMatchObject([{ channelId: "chatlost", status: null }]);
    expect(state.outcome).toBe("completed");
    crashed.abort();
  });

  it("a deleted video's job is cancelled upstream and failed (cancelled), and its slot given back", async () => {
    const { handlers, bucket } = await poller([channel("cancel", { max_concurrent: 3 })]);
    await faults("cancel", { jobDurationMs: 60_000 });
    const id = newId();
    await handlers.onVideoRequested(requested(id));
    await handlers.onFundsReserved(funded(id), ctx);
    const slots = channelSlots(bucket, { isDone: async () => false, now: Date.now });
    expect(await slots.holders("cancel")).toEqual([id]);
    await handlers.onVideoDeleted(envelope("VideoDeleted", { videoId: id, accountId: "acct_1", deletedAt: 1 }), ctx);
    expect((await handlers.records.load(id)).failure?.code).toBe("cancelled");
    expect((await upstreamJobs("cancel"))[0]).toMatchObject({ status: "failed", error: { code: "cancelled" } });
    expect(await slots.holders("cancel")).toEqual([]);
  });
});
