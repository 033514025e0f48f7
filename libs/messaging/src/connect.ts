import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";

export interface ConnectOptions {
  url: string;
  /** Shows in the server's connection list (`nats server report connections`). */
  name: string;
  log: Logger;
  /** Keep trying when the server is not up yet at start (default: fail fast, so a wrong URL is obvious). */
  waitOnFirstConnect?: boolean;
}

/** A connection that reconnects forever and says so in the log. */
export const connectNats = async ({ url, name, log, waitOnFirstConnect = false }: ConnectOptions) => {
  const nc: NatsConnection = await connect({
    servers: url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect,
  });
  log.info({ server: nc.getServer(), name }, "connected to NATS");
  void logStatus(nc, log);
  return nc;
};

const logStatus = async (nc: NatsConnection, log: Logger) => {
  for await (const status of nc.status()) {
    switch (status.type) {
      case "disconnect":
        log.warn({ server: status.server }, "NATS disconnected");
        break;
      case "reconnect":
        log.info({ server: status.server }, "NATS reconnected");
        break;
      case "reconnecting":
        log.debug("NATS reconnecting");
        break;
      case "error":
        log.error({ err: status.error }, "NATS error");
        break;
      case "ldm":
        log.warn({ server: status.server }, "NATS server entering lame duck mode");
        break;
      case "staleConnection":
      case "slowConsumer":
        log.warn({ status }, `NATS ${status.type}`);
        break;
      default:
        break;
    }
  }
};
