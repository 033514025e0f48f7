import { testNats, waitFor } from "@reelgate/testkit";
import type OpenAI from "openai";
import { InvalidWebhookSignatureError, NotFoundError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform, waitForConsumersIdle } from "./platform.ts";
import { type Receiver, startReceiver } from "./webhook-receiver.ts";

const nats = testNats();
/** Short retry waits so a test sees several attempts; over a second apart, so each has its own timestamp. */
const RETRY_SCHEDULE_MS = "1100";

interface DeliveryJson {
  id: string;
  status: string;
  attempts: Array<{ status_code: number | null; error: string | null }>;
}

describe.skipIf(!nats.url)("webhooks: OpenAI's endpoints API and signed deliveries (JS SDK)", () => {
  let platform: Platform;
  let receiver: Receiver;
  let client: OpenAI;

  beforeAll(async () => {
    receiver = await startReceiver();
    platform = await startPlatform(nats.url!, {
      env: { REELGATE_OUTBOUND_ALLOW: "127.0.0.1", REELGATE_WEBHOOK_RETRY_SCHEDULE_MS: RETRY_SCHEDULE_MS },
    });
    ({ client } = await platform.account("20"));
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  const deliveriesOf = async (endpointId: string) => {
    const answer = await platform.admin<{ data: DeliveryJson[] }>(
      "GET",
      `/admin/v1/webhook_endpoints/${endpointId}/deliveries`,
    );
    expect(answer.status).toBe(200);
    return answer.json.data;
  };

  it("runs every webhooks.* method of the SDK with OpenAI's shapes", async () => {
    const types = await client.webhooks.eventTypes.list();
    expect(types).toEqual({ object: "list", data: ["video.completed", "video.failed"] });

    const created = await client.webhooks.create({
      name: "first",
      url: receiver.url("/methods"),
      event_types: ["video.completed"],
    });
    expect(created).toMatchObject({ object: "webhook_endpoint", name: "first", event_types: ["video.completed"] });
    expect(created.id).toMatch(/^whe_/);
    expect(created.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.signing_secret.slice(6), "base64")).toHaveLength(32);
    expect(created.signing_secret_hint).not.toContain(created.signing_secret.slice(6, -4));

    const retrieved = await client.webhooks.retrieve(created.id);
    expect(retrieved).not.toHaveProperty("signing_secret");
    expect(retrieved).toMatchObject({ id: created.id, url: receiver.url("/methods"), created_at: created.created_at });

    const second = await client.webhooks.create({
      name: "second",
      url: receiver.url("/methods"),
      event_types: ["video.failed"],
    });
    const page = await client.webhooks.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const endpoint of client.webhooks.list({ limit: 1 })) all.push(endpoint.id);
    expect(all.sort()).toEqual([created.id, second.id].sort());

    const updated = await client.webhooks.update(created.id, {
      name: "renamed",
      event_types: ["video.completed", "video.failed"],
    });
    expect(updated).toMatchObject({
      id: created.id,
      name: "renamed",
      event_types: ["video.completed", "video.failed"],
    });

    const tested = await client.webhooks.test(created.id, { event_type: "video.completed" });
    expect(tested).toEqual({
      object: "webhook_endpoint.test",
      webhook_endpoint_id: created.id,
      event_type: "video.completed",
      status_code: 200,
      success: true,
    });
    const sample = receiver.at("/methods").at(-1)!;
    const event = await client.webhooks.unwrap(sample.body, sample.headers, created.signing_secret);
    expect(event).toMatchObject({ object: "event", type: "video.completed" });
    await client.webhooks.verifySignature(sample.body, sample.headers, created.signing_secret);

    const rotated = await client.webhooks.rotateSecret(created.id);
    expect(rotated.signing_secret).toMatch(/^whsec_/);
    expect(rotated.signing_secret).not.toBe(created.signing_secret);
    await client.webhooks.test(created.id, { event_type: "video.failed" });
    const afterRotation = receiver.at("/methods").at(-1)!;
    await client.webhooks.unwrap(afterRotation.body, afterRotation.headers, rotated.signing_secret);
    await expect(
      client.webhooks.unwrap(afterRotation.body, afterRotation.headers, created.signing_secret),
    ).rejects.toBeInstanceOf(InvalidWebhookSignatureError);

    expect(await client.webhooks.delete(second.id)).toEqual({
      id: second.id,
      object: "webhook_endpoint.deleted",
      deleted: true,
    });
    await expect(client.webhooks.retrieve(second.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("refuses an event type it does not send, naming it, and hides other accounts' endpoints", async () => {
    await expect(
      client.webhooks.create({ name: "x", url: receiver.url("/x"), event_types: ["batch.completed"] }),
    ).rejects.toMatchObject({
      status: 400,
      param: "event_types",
      error: { message: expect.stringContaining("batch.completed") },
    });
    const mine = await client.webhooks.create({ name: "mine", url: receiver.url("/x"), event_types: ["video.failed"] });
    const { client: other } = await platform.account("1");
    await expect(other.webhooks.retrieve(mine.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.webhooks.rotateSecret(mine.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await other.webhooks.list()).data).toEqual([]);
  });

  it("delivers video.completed once the video's GET answers completed, and video.failed; unwrap verifies, tampering is refused", async () => {
    const endpoint = await client.webhooks.create({
      name: "videos",
      url: receiver.url("/videos"),
      event_types: ["video.completed", "video.failed"],
    });
    const statusAtDelivery = new Map<string, string>();
    receiver.plan("/videos", () => 200);
    const done = await client.videos.create({ prompt: "a lighthouse at dusk", seconds: "4" });
    const failed = await client.videos.create({ prompt: "[fail] a forbidden scene", seconds: "4" });

    const eventFor = async (videoId: string) => {
      const hit = await waitFor(
        `the event of ${videoId}`,
        () => receiver.at("/videos").find((entry) => JSON.parse(entry.body).data.id === videoId),
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      if (!statusAtDelivery.has(videoId)) statusAtDelivery.set(videoId, (await client.videos.retrieve(videoId)).status);
      return hit;
    };
    const completedHit = await eventFor(done.id);
    const failedHit = await eventFor(failed.id);
    expect(statusAtDelivery.get(done.id)).toBe("completed");
    expect(statusAtDelivery.get(failed.id)).toBe("failed");

    const completed = await client.webhooks.unwrap(completedHit.body, completedHit.headers, endpoint.signing_secret);
    expect(completed).toMatchObject({ object: "event", type: "video.completed", data: { id: done.id } });
    expect((completed as { id: string }).id).toMatch(/^evt_/);
    expect(completedHit.headers["webhook-id"]).toBe((completed as { id: string }).id);
    expect(JSON.parse(completedHit.body)).toEqual({
      id: expect.stringMatching(/^evt_/),
      object: "event",
      type: "video.completed",
      created_at: expect.any(Number),
      data: { id: done.id },
    });
    const failedEvent = await client.webhooks.unwrap(failedHit.body, failedHit.headers, endpoint.signing_secret);
    expect(failedEvent).toMatchObject({ type: "video.failed", data: { id: failed.id } });

    const tampered = completedHit.body.replace(done.id, failed.id);
    await expect(
      client.webhooks.unwrap(tampered, completedHit.headers, endpoint.signing_secret),
    ).rejects.toBeInstanceOf(InvalidWebhookSignatureError);
    // Each video's event is delivered once.
    expect(receiver.at("/videos").filter((entry) => JSON.parse(entry.body).data.id === done.id)).toHaveLength(1);
  });

  it("retries a receiver that answers 500 three times, with one webhook-id and a fresh timestamp each time", async () => {
    const endpoint = await client.webhooks.create({
      name: "flaky",
      url: receiver.url("/flaky"),
      event_types: ["video.completed"],
    });
    receiver.plan("/flaky", (n) => (n <= 3 ? 500 : 200));
    const video = await client.videos.create({ prompt: "retried", seconds: "4" });
    await waitFor("the fourth attempt", () => receiver.at("/flaky").length >= 4 && receiver.at("/flaky"), {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    const attempts = receiver.at("/flaky");
    expect(attempts.map((entry) => entry.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(attempts.map((entry) => entry.headers["webhook-id"])).size).toBe(1);
    expect(new Set(attempts.map((entry) => entry.headers["webhook-timestamp"])).size).toBe(4);
    for (const attempt of attempts) {
      const event = await client.webhooks.unwrap(attempt.body, attempt.headers, endpoint.signing_secret);
      expect(event).toMatchObject({ data: { id: video.id } });
    }
    const history = await waitFor("the history to show the delivery done", async () => {
      const [delivery] = await deliveriesOf(endpoint.id);
      return delivery?.status === "delivered" && delivery;
    });
    expect(history.id).toBe(attempts[0]!.headers["webhook-id"]);
    expect(history.attempts.map((attempt) => attempt.status_code)).toEqual([500, 500, 500, 200]);
    // Once every consumer has settled its messages (the delivery's acked, not waiting out a delay), no fifth POST came.
    await waitForConsumersIdle(platform, 60_000);
    expect(receiver.at("/flaky")).toHaveLength(4);
  });

  it("signs with the old and the new secret during a kept-old-secret rotation", async () => {
    const endpoint = await client.webhooks.create({
      name: "overlap",
      url: receiver.url("/overlap"),
      event_types: ["video.completed"],
    });
    const rotated = await client.webhooks.rotateSecret(endpoint.id, { keep_old_secret_active_for_24_hours: true });
    const video = await client.videos.create({ prompt: "overlap", seconds: "4" });
    const hit = await waitFor("the overlap delivery", () => receiver.at("/overlap")[0], {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    expect(hit.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const secret of [endpoint.signing_secret, rotated.signing_secret]) {
      expect(await client.webhooks.unwrap(hit.body, hit.headers, secret)).toMatchObject({ data: { id: video.id } });
    }
  });

  it("delivers after the notifier is SIGKILLed while the delivery is pending", async () => {
    const endpoint = await client.webhooks.create({
      name: "crash",
      url: receiver.url("/crash"),
      event_types: ["video.completed"],
    });
    let down = true;
    receiver.plan("/crash", () => (down ? 503 : 200));
    const video = await client.videos.create({ prompt: "crash", seconds: "4" });
    await waitFor("a first failed attempt", () => receiver.at("/crash").length >= 1, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    await platform.stopService("notifier", "SIGKILL");
    down = false;
    await platform.startService("notifier");
    const delivered = await waitFor(
      "the delivery after the restart",
      () => receiver.at("/crash").find((entry) => entry.status === 200),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(delivered.headers["webhook-id"]).toBe(receiver.at("/crash")[0]!.headers["webhook-id"]);
    expect(await client.webhooks.unwrap(delivered.body, delivered.headers, endpoint.signing_secret)).toMatchObject({
      data: { id: video.id },
    });
  });

  it("refuses a receiver at an address REELGATE_OUTBOUND_ALLOW does not name, and never connects to it", async () => {
    // 127.0.0.2 is loopback (so private) and not in the allow list, which names 127.0.0.1 only.
    const hidden = await startReceiver("127.0.0.2");
    try {
      // https passes the scheme rule, so the address rule is what refuses it; plain http is refused for its scheme.
      const cases = [
        { scheme: "https", reason: /blocked_address|loopback/ },
        { scheme: "http", reason: /not https/ },
      ];
      const endpoints = [];
      for (const { scheme } of cases) {
        endpoints.push(
          await client.webhooks.create({
            name: `private ${scheme}`,
            url: hidden.url(`/private-${scheme}`, scheme),
            event_types: ["video.completed"],
          }),
        );
      }
      for (const endpoint of endpoints) {
        await expect(client.webhooks.test(endpoint.id, { event_type: "video.completed" })).rejects.toMatchObject({
          status: 400,
          code: "webhook_delivery_failed",
        });
      }
      await client.videos.create({ prompt: "private", seconds: "4" });
      for (const [index, endpoint] of endpoints.entries()) {
        const [delivery] = await waitFor(
          `a refused attempt to ${endpoint.url}`,
          async () => {
            const found = await deliveriesOf(endpoint.id);
            return found[0]?.attempts.length ? found : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        expect(delivery!.status).toBe("pending");
        expect(delivery!.attempts[0]).toMatchObject({
          status_code: null,
          error: expect.stringMatching(cases[index]!.reason),
        });
      }
      expect(hidden.connections()).toBe(0);
    } finally {
      await hidden.close();
    }
  });
});
