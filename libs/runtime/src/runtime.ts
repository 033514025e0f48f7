import { resolve } from "node:path";
import { type Config, natsNames } from "@reelgate/contracts";
import { type DocumentStore, openDocumentStore } from "@reelgate/documents";
import { type EventStore, openEventStore } from "@reelgate/event-store";
import {
  type Consumer,
  type ConsumerOptions,
  connectNats,
  countDeadLetters,
  ensureStreams,
  inboxPrefixOf,
  type RpcServer,
  serveRpc,
  startConsumer,
  startRelay,
  whileNatsStarts,
} from "@reelgate/messaging";
import { createMetrics, type Logger, type ReadinessCheck } from "@reelgate/service-kit";

export type ConsumeOptions = Omit<ConsumerOptions, "nc" | "names" | "service" | "log">;

/**
 * Everything a service stands on, opened in one place and closed in reverse: its own event store,
 * its read-model documents, NATS with the streams, the outbox relay, and its consumers.
 */
export const startRuntime = async ({ service, config, log }: { service: string; config: Config; log: Logger }) => {
  const dataDir = resolve(config.REELGATE_DATA_DIR);
  const names = natsNames(config.REELGATE_NAMESPACE);
  const store: EventStore = await openEventStore({ mongodbUrl: config.MONGODB_URL, dataDir, service });
  const documents: DocumentStore = await openDocumentStore({ mongodbUrl: config.MONGODB_URL, dataDir, service });
  // NATS may be down or still starting as this process starts (any start order): each step waits for
  // it, all within one start timeout, and a step that still fails stops the start.
  const startTimeoutMs = config.REELGATE_NATS_START_TIMEOUT_SECONDS * 1000;
  const startDeadline = Date.now() + startTimeoutMs;
  const whileStarting = <T>(what: string, step: () => Promise<T>) =>
    whileNatsStarts(what, step, { timeoutMs: Math.max(startDeadline - Date.now(), 0), log });
  const nc = await connectNats({
    url: config.NATS_URL ?? "nats://127.0.0.1:4222",
    name: service,
    inboxPrefix: inboxPrefixOf(service),
    log,
    credentials: config,
    startTimeoutMs,
  });
  await whileStarting("streams", () => ensureStreams(nc, names));
  const relay = startRelay({ store, nc, names, log, service });
  const metrics = createMetrics(service);
  metrics.countDeadLettersWith(() => countDeadLetters(nc, names, service));
  const consumers: Consumer[] = [];
  const rpcServers: RpcServer[] = [];

  const readiness: ReadinessCheck[] = [
    {
      name: "nats",
      check: () => {
        if (nc.isClosed()) throw new Error("connection closed");
      },
    },
    { name: "event-store", check: async () => void (await store.readStream("health-probe")) },
  ];

  return {
    service,
    config,
    log,
    names,
    store,
    documents,
    nc,
    relay,
    metrics,
    readiness,
    dataDir,
    /** Starts a durable consumer that stops with the runtime. */
    async consume(options: ConsumeOptions) {
      const start = () => startConsumer({ ...options, nc, names, service, log, metrics });
      consumers.push(await whileStarting(`consumer ${service}-${options.purpose}`, start));
    },
    /**
     * Answers the service's synchronous commands over NATS request/reply (`{service}.{command}` subjects,
     * one queue group per service), until the runtime stops.
     */
    serveCommands(handlers: Record<string, (request: unknown) => Promise<unknown>>) {
      for (const [command, handle] of Object.entries(handlers))
        rpcServers.push(serveRpc({ nc, subject: names.rpcSubject(service, command), queue: service, handle, log }));
    },
    /** A service's own start step against NATS (a KV bucket), waited for like the runtime's own. */
    whileStarting,
    /** Stop taking work, finish what is in flight, publish what is appended, then close. */
    async stop() {
      await Promise.all(rpcServers.map((server) => server.stop()));
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await relay.drain().catch((error: unknown) => log.warn({ err: error }, "outbox not fully drained at stop"));
      await relay.stop();
      await nc.drain().catch(() => undefined);
      await documents.close();
      await store.close();
    },
  };
};

export type Runtime = Awaited<ReturnType<typeof startRuntime>>;
