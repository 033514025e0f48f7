import type { FastifyInstance } from "fastify";
import type { Metrics } from "./metrics.ts";

/** A named dependency whose reachability decides /readyz. */
export type ReadinessCheck = { name: string; check: () => Promise<void> | void };

/** /healthz (the process is up), /readyz (its dependencies answer) and /metrics, the same on every service. */
export const registerOperations = (
  app: FastifyInstance,
  { checks, metrics }: { checks: ReadinessCheck[]; metrics: Metrics },
) => {
  // The pid lets a launcher tell its own child from another process that happens to hold the port.
  app.get("/healthz", { logLevel: "warn" }, async () => ({ status: "ok", pid: process.pid }));
  app.get("/readyz", { logLevel: "warn" }, async (_request, reply) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await check();
          return [name, "ok"] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === "ok");
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? "ready" : "not ready", pid: process.pid, checks: Object.fromEntries(results) });
  });
  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  registerHttpMetrics(app, metrics);
};

/**
 * Every answer's duration, by route and status, in the service's HTTP histogram. A callback hook (an async
 * one costs a promise and a microtask turn per request). Each (route, status) pair's child is bound once:
 * prom-client's `labels()` builds the label set and two closures on every call.
 */
export const registerHttpMetrics = (app: FastifyInstance, metrics: Metrics) => {
  type Observer = ReturnType<Metrics["httpDuration"]["labels"]>;
  // Routes and statuses are few (the routes registered, plus "unmatched"), so the children stay few.
  const children = new Map<string, Map<number, Observer>>();
  const childOf = (route: string, status: number) => {
    let byStatus = children.get(route);
    if (!byStatus) {
      byStatus = new Map();
      children.set(route, byStatus);
    }
    let child = byStatus.get(status);
    if (!child) {
      child = metrics.httpDuration.labels(route, String(status));
      byStatus.set(status, child);
    }
    return child;
  };
  app.addHook("onResponse", (request, reply, done) => {
    childOf(request.routeOptions.url ?? "unmatched", reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });
};
