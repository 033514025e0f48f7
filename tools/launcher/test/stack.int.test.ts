import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenOnFreePort, testNats, uniqueNamespace } from "@reelgate/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { compileCacheDir } from "../src/node-flags.ts";
import { type Stack, startStack } from "../src/stack.ts";

const nats = testNats();

describe.skipIf(!nats.url)("startStack", () => {
  let stack: Stack | undefined;
  let squatter: Server | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await stack?.stop();
    await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("moves a service whose port another process holds, and never takes that process's /readyz for its own", async () => {
    // Another process on billing's port, answering 200 to everything, /readyz included.
    squatter = createServer((_request, response) => response.end(JSON.stringify({ status: "ready", pid: 1 })));
    const taken = await listenOnFreePort(squatter);
    const dataDir = mkdtempSync(join(tmpdir(), "reelgate-stack-"));
    dirs.push(dataDir);

    stack = await startStack({
      dataDir,
      natsUrl: nats.url!,
      namespace: uniqueNamespace("stack"),
      ports: { billing: taken },
      logLevel: "warn",
    });
    expect(stack.ports.billing).not.toBe(taken);
    const readyz = await fetch(`http://127.0.0.1:${stack.ports.billing}/readyz`);
    expect(readyz.status).toBe(200);
    expect(((await readyz.json()) as { pid: number }).pid).toBe(stack.processes.get("billing")?.child.pid);
    // The platform works: ingress reaches billing.
    const opened = await fetch(`${stack.url}/admin/v1/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "moved" }),
    });
    expect(opened.status).toBe(201);
  });

  it.skipIf(
    process.platform !== "linux" ||
      process.env.MALLOC_ARENA_MAX !== undefined ||
      process.env.NODE_COMPILE_CACHE !== undefined,
  )(
    "starts the poller with two malloc arenas and a compile cache it fills once ready, and only the poller",
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "reelgate-stack-"));
      dirs.push(dataDir);
      stack = await startStack({ dataDir, natsUrl: nats.url!, namespace: uniqueNamespace("stack"), logLevel: "warn" });
      const environOf = (name: string) =>
        readFileSync(`/proc/${stack!.processes.get(name)?.child.pid}/environ`, "utf8").split("\0");
      expect(environOf("poller")).toContain("MALLOC_ARENA_MAX=2");
      expect(environOf("poller")).toContain(`NODE_COMPILE_CACHE=${compileCacheDir}`);
      expect(environOf("billing").filter((entry) => /^(MALLOC_ARENA_MAX|NODE_COMPILE_CACHE)=/.test(entry))).toEqual([]);
      // It holds the poller's modules once the poller is ready (it writes what it compiled then).
      const written = readdirSync(compileCacheDir, { recursive: true, withFileTypes: true }).filter((entry) =>
        entry.isFile(),
      );
      expect(written.length).toBeGreaterThan(100);
    },
  );
});
