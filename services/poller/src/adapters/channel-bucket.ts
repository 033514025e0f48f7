import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * The poller's shared channel state (jobs in flight per channel, Retry-After cool-downs): a
 * JetStream KV bucket, so every replica sees one count and a restart forgets nothing.
 */
export const openChannelBucket = (nc: NatsConnection, namespace: string): Promise<KV> =>
  new Kvm(nc).create(`${namespace}_poller_channels`, { history: 1 });

const isConflict = (error: unknown) =>
  error instanceof JetStreamApiError &&
  (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
    error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);

const MAX_CAS_TRIES = 50;

/**
 * Read-modify-write of one JSON key with compare-and-set on its revision: a replica that wrote in
 * between makes this one read again and re-decide. `change` returns the new value, or undefined to
 * leave the key as it is; whatever it returns besides is handed back.
 */
export const casUpdate = async <T, R>(
  kv: KV,
  key: string,
  empty: T,
  change: (current: T) => Promise<{ next: T | undefined; result: R }> | { next: T | undefined; result: R },
): Promise<R> => {
  for (let tries = 1; ; tries++) {
    const entry = await kv.get(key);
    const live = entry && entry.operation === "PUT" && entry.length > 0;
    const current = live ? (entry.json() as T) : empty;
    const { next, result } = await change(current);
    if (next === undefined) return result;
    const value = JSON.stringify(next);
    try {
      if (live) await kv.update(key, value, entry.revision);
      else await kv.create(key, value);
      return result;
    } catch (error) {
      if (tries >= MAX_CAS_TRIES || !(isConflict(error) || (!live && error instanceof JetStreamApiError))) throw error;
    }
  }
};
