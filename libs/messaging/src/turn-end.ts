import type { NatsConnection } from "@nats-io/transport-node";

const waiting = new WeakMap<NatsConnection, Array<() => void>>();

/**
 * Runs `send` (synchronous NATS writes: acks, publishes) at the end of this event-loop turn, together with
 * every other send queued on the same connection in the turn. The client writes what is queued to the
 * socket once per microtask flush, so sends made in one synchronous block cost one socket write: the acks
 * of a turn's messages and the relay's publishes of the events those messages appended go out together,
 * where each would otherwise pay a write of its own. What a send stands for (an append, a commit) must be
 * durable before it is queued: queueing only delays it.
 */
export const atTurnEnd = (nc: NatsConnection, send: () => void) => {
  const queued = waiting.get(nc);
  if (queued) {
    queued.push(send);
    return;
  }
  const sends = [send];
  waiting.set(nc, sends);
  setImmediate(() => {
    waiting.delete(nc);
    for (const each of sends) each();
  });
};
