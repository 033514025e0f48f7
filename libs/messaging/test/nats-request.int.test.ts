import { createRequire } from "node:module";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { testNats, uniqueNamespace } from "@reelgate/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../src/connect.ts";
import { ensureStreams } from "../src/streams.ts";
import { silentLog } from "./fixtures.ts";

// The nats-core module the transport itself loads (the one copy in node_modules): its request code looks
// `RequestError` up on this module object at each use, so a counting subclass put there sees every one built.
const natsRequire = createRequire(createRequire(import.meta.url).resolve("@nats-io/transport-node"));
const errors = natsRequire(natsRequire.resolve("@nats-io/nats-core").replace(/mod\.js$/, "errors.js")) as {
  RequestError: new (message?: string, options?: ErrorOptions) => Error;
  TimeoutError: new () => Error;
};

const nats = testNats();

/**
 * patches/@nats-io+nats-core+*.patch: nats.js settles a request and then "cancels" it, which built a
 * RequestError with a stack trace only to reject a promise already settled: 1–3% of a service's CPU, as every
 * JetStream publish is a request answered by a PubAck. The patch releases the request without one.
 */
describe.skipIf(!nats.url)("nats.js requests (patched)", () => {
  let nc: NatsConnection;
  const original = errors.RequestError;
  let built = 0;
  beforeAll(async () => {
    nc = await connectNats({ url: nats.url!, name: "request-test", log: silentLog });
    errors.RequestError = class CountedRequestError extends original {
      constructor(message?: string, options?: ErrorOptions) {
        super(message, options);
        built++;
      }
    };
  });
  afterEach(() => {
    built = 0;
  });
  afterAll(async () => {
    errors.RequestError = original;
    await nc.close();
  });

  const pendingRequests = () =>
    (nc as unknown as { protocol: { muxSubscriptions: { size(): number } } }).protocol.muxSubscriptions.size();

  it("builds no error for requests that were answered, and forgets each one", async () => {
    const subject = `${uniqueNamespace("req")}.echo`;
    const sub = nc.subscribe(subject, {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => nc.request(subject, String(i), { timeout: 5_000 })),
    );
    expect(replies.map((reply) => reply.string())).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(built).toBe(0);
    expect(pendingRequests()).toBe(0);
    sub.unsubscribe();
  });

  it("builds no error for JetStream publishes that got their PubAck", async () => {
    const names = (await import("@reelgate/contracts")).natsNames(uniqueNamespace("req"));
    await ensureStreams(nc, names);
    built = 0;
    const js = jetstream(nc);
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        js.publish(names.eventSubject("job", "JobProgressed"), "{}", { msgID: `m${i}`, timeout: 5_000 }),
      ),
    );
    expect(new Set(acks.map((ack) => ack.seq)).size).toBe(50);
    expect(built).toBe(0);
    expect(pendingRequests()).toBe(0);
  });

  it("still rejects a request nobody answers in time, and one nobody listens to", async () => {
    const subject = `${uniqueNamespace("req")}.silent`;
    const sub = nc.subscribe(subject, { callback: () => undefined });
    await expect(nc.request(subject, "x", { timeout: 200 })).rejects.toBeInstanceOf(errors.TimeoutError);
    sub.unsubscribe();
    const noResponders = nc.request(`${uniqueNamespace("req")}.nobody`, "x", { timeout: 5_000 });
    await expect(noResponders).rejects.toBeInstanceOf(original);
    await expect(noResponders).rejects.toSatisfy((error) => (error as { isNoResponders(): boolean }).isNoResponders());
    expect(pendingRequests()).toBe(0);
  });
});
