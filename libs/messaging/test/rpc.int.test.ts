import type { NatsConnection } from "@nats-io/transport-node";
import { testNats, uniqueNamespace } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../src/connect.ts";
import { requestRpc, serveRpc } from "../src/rpc.ts";
import { silentLog } from "./fixtures.ts";

const nats = testNats();

describe.skipIf(!nats.url)("rpc", () => {
  let nc: NatsConnection;
  const prefix = uniqueNamespace("rpc");
  beforeAll(async () => {
    nc = await connectNats({ url: nats.url!, name: "rpc-test", log: silentLog });
  });
  afterAll(async () => {
    await nc.close();
  });

  it("answers a JSON request with a JSON reply, shared by a queue group", async () => {
    const subject = `${prefix}.rpc.billing.getAccount`;
    const served: string[] = [];
    const servers = ["a", "b"].map((name) =>
      serveRpc({
        nc,
        subject,
        queue: "billing",
        log: silentLog,
        handle: async (request) => {
          served.push(name);
          return { ok: true, echo: request };
        },
      }),
    );
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => requestRpc<{ ok: boolean; echo: unknown }>(nc, subject, { accountId: i })),
    );
    expect(replies.map((r) => r.echo)).toEqual(Array.from({ length: 10 }, (_, i) => ({ accountId: i })));
    expect(served).toHaveLength(10); // each request answered by one member of the group, not both
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("replies { ok: false, kind: unavailable } when the handler throws", async () => {
    const subject = `${prefix}.rpc.billing.broken`;
    const server = serveRpc({
      nc,
      subject,
      queue: "billing",
      log: silentLog,
      handle: async () => {
        throw new Error("ledger unavailable");
      },
    });
    expect(await requestRpc(nc, subject, {})).toEqual({
      ok: false,
      kind: "unavailable",
      message: "ledger unavailable",
    });
    await server.stop();
  });

  it("throws a clear error when nobody listens or the reply is late", async () => {
    await expect(requestRpc(nc, `${prefix}.rpc.nobody.home`, {}, 500)).rejects.toThrow(/no service is listening/);
    const subject = `${prefix}.rpc.billing.slow`;
    let finish!: () => void;
    const server = serveRpc({
      nc,
      subject,
      queue: "billing",
      log: silentLog,
      handle: () => new Promise((resolve) => (finish = () => resolve({ ok: true }))),
    });
    await expect(requestRpc(nc, subject, {}, 200)).rejects.toThrow(/no reply within 200 ms/);
    finish();
    await server.stop();
  });
});
