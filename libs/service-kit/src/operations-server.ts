import Fastify, { type FastifyBaseLogger } from "fastify";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.ts";
import { type ReadinessCheck, registerOperations } from "./operations.ts";

/** The HTTP face of a service without a public API: /healthz, /readyz, /metrics. */
export const startOperationsServer = async ({
  port,
  host = "0.0.0.0",
  log,
  checks,
  metrics,
}: {
  port: number;
  host?: string;
  log: Logger;
  checks: ReadinessCheck[];
  metrics: Metrics;
}) => {
  const app = Fastify({ loggerInstance: log.child({ component: "http" }) as FastifyBaseLogger });
  registerOperations(app, { checks, metrics });
  await app.listen({ port, host });
  const address = app.server.address();
  return { port: typeof address === "object" && address ? address.port : port, close: () => app.close() };
};
