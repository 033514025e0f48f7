import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { natsServerBinary, startNatsServer } from "../src/index.ts";

describe.skipIf(!natsServerBinary())("startNatsServer", () => {
  it("starts a server that answers and stops it", async () => {
    const server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    expect(nc.info?.jetstream).toBe(true);
    await nc.close();
    await server.stop();
    expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true);
  });
});
