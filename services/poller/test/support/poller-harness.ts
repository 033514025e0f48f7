import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { EventType, TypedEnvelope } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { buildSimulator } from "@reelgate/simulator";
import { testEnvelope, uniqueNamespace } from "@reelgate/testkit";
import { type Channel, providerFor } from "@reelgate/upstream";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { openChannelBucket } from "../../src/adapters/channel-bucket.ts";
import { channelCoolDowns } from "../../src/adapters/channel-cooldowns.ts";
import { channelSlots } from "../../src/adapters/channel-slots.ts";
import { followClaims } from "../../src/adapters/follow-claims.ts";
import { type JobsDeps, jobs } from "../../src/handlers/jobs.ts";

export const log = pino({ level: "silent" });
export const ctx = { working: () => undefined, log, deliveryCount: 1, streamSequence: 1 };
export const newId = () => `video_${uniqueNamespace("")}`;

/** An event as the poller's consumers hand it to the handlers. */
export const envelope = <T extends EventType>(type: T, data: object, accountId = "acct_1") =>
  testEnvelope(type, data, { stream: "x", accountId }) as unknown as TypedEnvelope & { type: T };

export const requested = (videoId: string, model = "sora-2", extra: object = {}) =>
  envelope("VideoRequested", {
    videoId,
    accountId: "acct_1",
    model,
    seconds: "4",
    size: "720x1280",
    prompt: `prompt of ${videoId}`,
    quoteMicros: 400_000,
    remixedFromVideoId: null,
    inputReference: null,
    createdAt: 1,
    ...extra,
  });

export const funded = (videoId: string) =>
  envelope("FundsReserved", { videoId, amountMicros: 400_000, balanceMicros: 0, reservedMicros: 0 });

/**
 * The poller's handlers on a real NATS (KV buckets), SQLite and the upstream simulator, set up and torn down
 * with the suite that calls it (inside its `describe`).
 */
export const pollerHarness = (natsUrl: string) => {
  let nc: NatsConnection;
  let simulator: FastifyInstance;
  let root = "";

  beforeAll(async () => {
    nc = await connect({ servers: natsUrl });
    simulator = await buildSimulator({ jobDurationMs: 300 });
    await simulator.listen({ port: 0, host: "127.0.0.1" });
    root = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await simulator?.close();
    await nc?.close();
  });

  const channel = (id: string, overrides: Partial<Channel> = {}): Channel => ({
    id,
    provider: "openai",
    base_url: `${root}/c/${id}/v1`,
    api_key: "k",
    models: { "sora-2": "sora-2", sora_video2: "sora_video2" },
    priority: 0,
    weight: 1,
    timeout_seconds: 5,
    disabled: false,
    ...overrides,
  });

  /** A poller with its own store and KV bucket; two made with one `namespace` act as two replicas. */
  const poller = async (channels: Channel[], overrides: Partial<JobsDeps> = {}, namespace = uniqueNamespace("p")) => {
    const dir = mkdtempSync(join(tmpdir(), "poller-"));
    const bucket = await openChannelBucket(nc, namespace);
    const coolDowns = await channelCoolDowns(bucket);
    const store = openSqliteEventStore(join(dir, "poller.events.db"));
    const deps: JobsDeps = {
      store,
      objects: fileStorage(join(dir, "media")),
      channels: () => channels,
      providerFor,
      slots: channelSlots(bucket, { isDone: (v, c) => handlers.holdsNoSlot(v, c), now: Date.now }),
      coolDowns,
      follows: followClaims(bucket),
      now: Date.now,
      random: Math.random,
      deadlineMs: 60_000,
      lateWindowMs: 60_000,
      maxSubmitAttempts: 5,
      onAppended: () => undefined,
      ...overrides,
    };
    const handlers: ReturnType<typeof jobs> = jobs(deps);
    const eventTypes = async (videoId: string) => (await store.readStream(`job-${videoId}`)).map((event) => event.type);
    return { handlers, deps, bucket, coolDowns, namespace, eventTypes };
  };

  /** Runs the follow handler the way JetStream would: again and again, until it acks. */
  const follow = async (handlers: ReturnType<typeof jobs>, videoId: string) => {
    const state = await handlers.records.load(videoId);
    const submitted = envelope("JobSubmitted", state.submission!);
    for (;;) {
      const result = await handlers.onJobSubmitted(submitted, ctx);
      if (!result) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(result.retryInMs, 100)));
    }
  };

  /** The simulator's control routes for one channel. */
  const control = (name: string, path: string, body?: object) =>
    fetch(`${root}/c/${name}/_control/${path}`, {
      method: body ? "POST" : "GET",
      ...(body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });

  return { nc: () => nc, root: () => root, channel, poller, follow, control };
};
