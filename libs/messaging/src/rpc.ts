import { errors, type Msg, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";

export interface RpcServerOptions {
  nc: NatsConnection;
  subject: string;
  /** Instances of one service share the requests of a queue group. */
  queue: string;
  handle: (request: unknown) => Promise<unknown>;
  log: Logger;
}

export interface RpcServer {
  /** Stop taking requests, answer the ones already taken. */
  stop(): Promise<void>;
}

/** The reply to a request that is not JSON (`invalid`) or whose handler threw (`unavailable`). */
export interface RpcFailure {
  ok: false;
  kind: "invalid" | "unavailable";
  message: string;
}

/** Core NATS request/reply, JSON in and out. */
export const serveRpc = ({ nc, subject, queue, handle, log }: RpcServerOptions): RpcServer => {
  const inFlight = new Set<Promise<void>>();
  const answer = async (msg: Msg) => {
    let request: unknown;
    try {
      request = msg.data.length === 0 ? undefined : msg.json();
    } catch {
      msg.respond(JSON.stringify({ ok: false, kind: "invalid", message: "request is not JSON" } satisfies RpcFailure));
      return;
    }
    let reply: unknown;
    try {
      reply = await handle(request);
    } catch (error) {
      log.error({ err: error, subject }, "rpc handler failed");
      reply = {
        ok: false,
        kind: "unavailable",
        message: (error as Error)?.message ?? String(error),
      } satisfies RpcFailure;
    }
    msg.respond(JSON.stringify(reply ?? null));
  };
  const sub = nc.subscribe(subject, {
    queue,
    callback: (error, msg) => {
      if (error) {
        log.error({ err: error, subject }, "rpc subscription failed");
        return;
      }
      const task = answer(msg).finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
  });
  return {
    async stop() {
      await sub.drain();
      await Promise.allSettled([...inFlight]);
    },
  };
};

/** Sends a JSON request and returns the JSON reply; throws a clear error when nobody answers in time. */
export const requestRpc = async <T>(nc: NatsConnection, subject: string, payload: unknown, timeoutMs = 5_000) => {
  try {
    const reply = await nc.request(subject, JSON.stringify(payload ?? null), { timeout: timeoutMs });
    return reply.json<T>();
  } catch (error) {
    if (isNoResponders(error)) throw new Error(`rpc ${subject}: no service is listening`, { cause: error });
    if (error instanceof errors.TimeoutError) {
      throw new Error(`rpc ${subject}: no reply within ${timeoutMs} ms`, { cause: error });
    }
    throw error;
  }
};

const isNoResponders = (error: unknown) =>
  error instanceof errors.NoRespondersError || (error instanceof errors.RequestError && error.isNoResponders());
