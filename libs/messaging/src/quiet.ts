import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";

/**
 * Resolves once every named durable consumer has nothing pending and nothing awaiting an ack
 * (a message waiting out a `nak(delay)` counts as awaiting). For tests and the CLI.
 */
export const waitForQuiet = async (
  nc: NatsConnection,
  names: NatsNames,
  durables: string[],
  timeoutMs: number,
  { intervalMs = 50 } = {},
): Promise<void> => {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy: string[] = [];
    for (const durable of durables) {
      const info = await jsm.consumers.info(names.eventsStream, durable);
      if (info.num_pending > 0 || info.num_ack_pending > 0) {
        busy.push(`${durable} (pending ${info.num_pending}, awaiting ack ${info.num_ack_pending})`);
      }
    }
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`consumers not quiet after ${timeoutMs} ms: ${busy.join(", ")}`);
    await sleep(intervalMs);
  }
};
