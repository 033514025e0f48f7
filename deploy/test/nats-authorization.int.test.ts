import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { natsNames } from "@reelgate/contracts";
import { ensureStreams, inboxPrefixOf, servicePermissions } from "@reelgate/messaging";
import { freePort, natsServerBinary, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const binary = natsServerBinary();
if (!binary) console.warn("nats-server is not installed: the k8s NATS authorization check is skipped");
const SHIPPED = fileURLToPath(new URL("../k8s/nats/authorization.conf", import.meta.url));
const services = Object.keys(servicePermissions());

describe.skipIf(!binary)("deploy/k8s/nats/authorization.conf on a real nats-server", () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  // nats-server parses a variable's value as config: one that starts with '-' or reads as a number ("9e5…")
  // stops it, so passwords start with a letter (as docs/deploy.md tells operators to make them).
  const passwords = Object.fromEntries(services.map((service) => [service, `p${randomBytes(24).toString("hex")}`]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-k8s-nats-"));
    copyFileSync(SHIPPED, join(dir, "authorization.conf"));
    const port = await freePort();
    writeFileSync(
      join(dir, "nats-server.conf"),
      `host: "127.0.0.1"\nport: ${port}\njetstream { store_dir: ${JSON.stringify(join(dir, "js"))} }\ninclude ./authorization.conf\n`,
    );
    // As in the cluster: the passwords are the nats-server pod's environment, from the Secret reelgate-nats.
    const env = Object.fromEntries(
      services.map((service) => [`NATS_PASSWORD_${service.toUpperCase()}`, passwords[service]]),
    );
    server = spawn(binary!, ["-c", join(dir, "nats-server.conf")], {
      stdio: "ignore",
      env: { ...process.env, ...env },
    });
    url = `nats://127.0.0.1:${port}`;
    await waitFor(
      "nats-server with the shipped authorization",
      async () => {
        if (server.exitCode !== null) throw new Error(`nats-server exited with ${server.exitCode}`);
        const probe = await connect({
          servers: url,
          user: "billing",
          pass: passwords.billing,
          reconnect: false,
          inboxPrefix: inboxPrefixOf("billing"),
        }).catch(() => undefined);
        await probe?.close();
        return probe !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("takes each service's password from the environment and refuses a connection without one", async () => {
    for (const service of services) {
      const nc = await connect({
        servers: url,
        user: service,
        pass: passwords[service],
        reconnect: false,
        inboxPrefix: inboxPrefixOf(service),
      });
      await ensureStreams(nc, natsNames("reelgate"));
      await nc.close();
    }
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: url, user: "billing", pass: passwords.poller, reconnect: false })).rejects.toThrow(
      /authorization/i,
    );
  });

  it("lets billing alone answer rpc.billing.*", async () => {
    for (const service of ["ingress", "poller", "storage"]) {
      const nc = await connect({
        servers: url,
        user: service,
        pass: passwords[service],
        reconnect: false,
        inboxPrefix: inboxPrefixOf(service),
      });
      const sub = nc.subscribe("reelgate.rpc.billing.credit");
      expect(String(await sub.closed), service).toMatch(/permissions violation/i);
      await nc.close();
    }
    const billing = await connect({
      servers: url,
      user: "billing",
      pass: passwords.billing,
      reconnect: false,
      inboxPrefix: inboxPrefixOf("billing"),
    });
    billing.subscribe("reelgate.rpc.billing.credit", { callback: (_error, msg) => void msg.respond("ok") });
    await billing.flush();
    const ingress = await connect({
      servers: url,
      user: "ingress",
      pass: passwords.ingress,
      reconnect: false,
      inboxPrefix: inboxPrefixOf("ingress"),
    });
    expect((await ingress.request("reelgate.rpc.billing.credit", "{}", { timeout: 5_000 })).string()).toBe("ok");
    await Promise.all([billing.close(), ingress.close()]);
  });
});
