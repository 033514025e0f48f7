import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Category, type Envelope, type NatsNames, natsNames } from "@reelgate/contracts";
import {
  type Consumer,
  connectNats,
  ensureStreams,
  PoisonMessageError,
  servicePermissions,
  startConsumer,
} from "@reelgate/messaging";
import { createLogger, createMetrics } from "@reelgate/service-kit";
import { testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsDeadLetters } from "../src/adapters/dead-letters.ts";
import { ADMIN_TOKEN, type Ingress, ingress } from "./harness.ts";

const nats = testNats();
const silent = createLogger("tests", "silent");

describe.skipIf(!nats.url)("admin dead letters over HTTP, on a real nats-server", () => {
  let nc: NatsConnection;
  let names: NatsNames;
  let api: Ingress;
  let consumer: Consumer;
  let poisonous = true;
  const handled: string[] = [];

  beforeAll(async () => {
    const namespace = uniqueNamespace("dlapi");
    names = natsNames(namespace);
    nc = await connectNats({ url: nats.url!, name: "admin-dead-letters-test", log: silent });
    await ensureStreams(nc, names);
    const own = servicePermissions(namespace).ingress ?? { publish: [], subscribe: [] };
    api = await ingress({ deadLetters: natsDeadLetters(nc, names, own) });
    // A consumer that cannot read anything until the "fix" below: every event it gets is dead-lettered.
    consumer = await startConsumer({
      nc,
      names,
      service: "tests",
      purpose: "main",
      filterSubject: names.eventsWildcard,
      log: silent,
      metrics: createMetrics("tests"),
      handle: async (received) => {
        if (poisonous) throw new PoisonMessageError("this consumer cannot read it (a bug, fixed below)");
        handled.push(received.id);
      },
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await api?.close();
    await nc?.close();
  });

  const event = (category: Category, type: string, data: { videoId: string } & Record<string, unknown>): Envelope => ({
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    stream: `${category}-${data.videoId}`,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: data.videoId,
    causationId: null,
    accountId: null,
  });
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  type Page = { data: Array<Record<string, unknown>>; has_more: boolean };
  const list = async (query = "") => {
    const response = await api.app.inject({ method: "GET", url: `/admin/v1/dead_letters${query}`, headers: admin });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as Page;
  };

  it("lists a poison message, needs the admin token, pages, and replays what ingress may republish", async () => {
    // A task event (ingress's own subject: replayable over HTTP) and a job event (the poller's: CLI only).
    const task = event("task", "VideoDeleted", { videoId: "video_dlapi1", accountId: "acct_1", deletedAt: Date.now() });
    const job = event("job", "JobProgressed", { videoId: "video_dlapi2", progress: 10 });
    await jetstream(nc).publish(names.eventSubject("task", task.type), JSON.stringify(task));
    await jetstream(nc).publish(names.eventSubject("job", job.type), JSON.stringify(job));
    await waitFor("both dead-lettered", async () => (await list()).data.length === 2);

    const unauthenticated = await api.app.inject({ method: "GET", url: "/admin/v1/dead_letters" });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.json()).toMatchObject({ error: { code: "invalid_admin_token" } });
    const wrongToken = await api.app.inject({
      method: "POST",
      url: "/admin/v1/dead_letters/replay",
      headers: { authorization: "Bearer not-the-token" },
      payload: {},
    });
    expect(wrongToken.statusCode).toBe(401);

    const { data } = await list();
    const [first, second] = data;
    expect(first).toMatchObject({
      object: "dead_letter",
      service: "tests",
      consumer: "tests-main",
      subject: names.eventSubject("task", "VideoDeleted"),
      event_type: "VideoDeleted",
      event_id: task.id,
      video_id: "video_dlapi1",
      reason: expect.stringMatching(/PoisonMessageError: this consumer cannot read it/),
      replayable: true,
    });
    expect(first!.deliveries).toBeGreaterThanOrEqual(1);
    expect(new Date(String(first!.dead_at)).getTime()).not.toBeNaN();
    expect(second).toMatchObject({ event_type: "JobProgressed", video_id: "video_dlapi2", replayable: false });
    expect(Number(second!.sequence)).toBeGreaterThan(Number(first!.sequence));

    // Paging by sequence, and the service filter.
    const firstPage = await list("?limit=1");
    expect(firstPage).toMatchObject({ has_more: true, data: [{ sequence: first!.sequence }] });
    const nextPage = await list(`?limit=1&after=${first!.sequence}`);
    expect(nextPage).toMatchObject({ has_more: false, data: [{ sequence: second!.sequence }] });
    expect((await list("?service=billing")).data).toEqual([]);
    expect((await list("?service=tests")).data).toHaveLength(2);
    const badService = await api.app.inject({
      method: "GET",
      url: "/admin/v1/dead_letters?service=a.%3E",
      headers: admin,
    });
    expect(badService.statusCode).toBe(400);
    expect(badService.json()).toMatchObject({ error: { param: "service" } });

    poisonous = false;
    const replay = await api.app.inject({
      method: "POST",
      url: "/admin/v1/dead_letters/replay",
      headers: admin,
      payload: {},
    });
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json()).toEqual({
      object: "dead_letters.replay",
      replayed: 1,
      not_replayed: [second!.sequence],
      command: `reelgate dead-letters replay --seq ${second!.sequence}`,
    });
    await waitFor("the replayed event handled", () => handled.includes(task.id));
    // The replayed one is gone; the one ingress may not republish stays for the CLI.
    expect((await list()).data.map((letter) => letter.sequence)).toEqual([second!.sequence]);
    expect(handled).toEqual([task.id]);

    const again = await api.app.inject({
      method: "POST",
      url: "/admin/v1/dead_letters/replay",
      headers: admin,
      payload: { sequences: [first!.sequence] },
    });
    expect(again.json()).toMatchObject({ replayed: 0, not_replayed: [], command: null });
  });
});
