import type { TestProject } from "vitest/node";
import { natsServerBinary, type RunningNats, startNatsServer } from "./nats-server.ts";

/**
 * Starts the shared infrastructure once per test run, found in the order ARCHITECTURE.md gives:
 * an explicit NATS_URL, then a local nats-server binary. (No Docker engine answers on our CI machines.)
 */
export default async function setup(project: TestProject) {
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
  };
}
