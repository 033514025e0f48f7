import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { natsServerBinary, type RunningNats, startNatsServer } from "./nats-server.ts";

/**
 * Starts the shared infrastructure once per test run, found in the order ARCHITECTURE.md gives:
 * an explicit NATS_URL, then a local nats-server binary. (No Docker engine answers on our CI machines.)
 */
export default async function setup(project: TestProject) {
  // Every scratch dir a test makes (mkdtemp under os.tmpdir(), in the test or in a process it starts) lands in
  // one folder of this run, removed at its end: the suite left hundreds of folders (GBs over a day) in /tmp otherwise.
  // (Vitest runs this once per project too: the first run's folder serves them all.)
  const scratch = process.env.REELGATE_TEST_TMPDIR ? undefined : mkdtempSync(join(tmpdir(), "reelgate-tests-"));
  if (scratch) process.env.TMPDIR = process.env.REELGATE_TEST_TMPDIR = scratch;
  let server: RunningNats | undefined;
  if (process.env.NATS_URL) {
    project.provide("natsUrl", process.env.NATS_URL);
    project.provide("natsSkipReason", null);
  } else if (natsServerBinary()) {
    server = await startNatsServer();
    project.provide("natsUrl", server.url);
    project.provide("natsSkipReason", null);
  } else {
    project.provide("natsUrl", null);
    project.provide("natsSkipReason", "no NATS: set NATS_URL or install nats-server (apt-get install nats-server)");
  }
  return async () => {
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
}
