import { readFileSync } from "node:fs";
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { whileNatsStarts } from "./nats-start.ts";

/** SPEC.md §2's NATS credentials: NATS_USER with NATS_PASSWORD, or NATS_CREDS (a .creds file), or none. */
export interface NatsCredentials {
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_CREDS?: string | undefined;
}

/** The connect options the credentials give; a half-given pair or both kinds at once stop the process, named. */
export const natsAuthOptions = ({
  NATS_USER,
  NATS_PASSWORD,
  NATS_CREDS,
}: NatsCredentials): Partial<ConnectionOptions> => {
  if (NATS_CREDS && (NATS_USER || NATS_PASSWORD))
    throw new Error("NATS_CREDS: give either NATS_CREDS or NATS_USER/NATS_PASSWORD, not both");
  if (NATS_CREDS) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(NATS_CREDS);
    } catch (error) {
      throw new Error(`NATS_CREDS: cannot read ${NATS_CREDS}: ${(error as Error).message}`);
    }
    return { authenticator: credsAuthenticator(creds) };
  }
  if (NATS_USER && !NATS_PASSWORD) throw new Error("NATS_PASSWORD: NATS_USER is set without a password");
  if (NATS_PASSWORD && !NATS_USER) throw new Error("NATS_USER: NATS_PASSWORD is set without a user");
  return NATS_USER ? { user: NATS_USER, pass: NATS_PASSWORD } : {};
};

export interface ConnectOptions {
  url: string;
  /** Shows in the server's connection list (`nats server report connections`). */
  name: string;
  log: Logger;
  /**
   * How long to keep trying while the server is down or starting (a service's start: it and nats-server
   * may come up in any order). Default 0: one try. A malformed URL or refused credentials fail at once.
   */
  startTimeoutMs?: number;
  credentials?: NatsCredentials;
  /** Where answers to this connection's requests come: a service's own (`inboxPrefixOf`), which its user may read. */
  inboxPrefix?: string;
}

/** The URL schemes the node transport speaks; `host:port` without one is nats://. */
const SCHEMES = new Set(["nats:", "tls:"]);

/** A wrong URL is not a server still starting: name it at once rather than wait for it. */
const checkServers = (url: string) => {
  for (const server of url.split(",").map((part) => part.trim())) {
    const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(server)?.[1]?.toLowerCase();
    const parsed = URL.parse(scheme ? server : `nats://${server}`);
    if (!server || !parsed?.hostname || (scheme && !SCHEMES.has(scheme)))
      throw new Error(`NATS_URL: ${JSON.stringify(server)} is not a NATS server URL (nats://host:port)`);
  }
};

/** A connection that reconnects forever and says so in the log. */
export const connectNats = async ({
  url,
  name,
  log,
  startTimeoutMs = 0,
  credentials = {},
  inboxPrefix,
}: ConnectOptions) => {
  checkServers(url);
  const auth = natsAuthOptions(credentials);
  const nc: NatsConnection = await whileNatsStarts(
    `connect to ${url}`,
    // noAsyncTraces: without it the client builds an Error with a stack trace for every request (every
    // JetStream publish, KV write, pull) only to add the caller's stack to a timeout; that was 2–3% of a
    // service's CPU. A failed request still rejects with its error, without the extra trace.
    () =>
      connect({
        ...auth,
        servers: url,
        name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        noAsyncTraces: true,
        ...(inboxPrefix ? { inboxPrefix } : {}),
      }),
    { timeoutMs: startTimeoutMs, log },
  );
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
