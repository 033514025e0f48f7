import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** The metrics every service exposes on /metrics; services add their own to `registry`. */
export const createMetrics = (service: string) => {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const eventsHandled = new Counter({
    name: "reelgate_events_handled_total",
    help: "Events handled by consumers, by consumer and outcome",
    labelNames: ["consumer", "outcome"],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "reelgate_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["route", "status"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  return { registry, eventsHandled, httpDuration };
};
export type Metrics = ReturnType<typeof createMetrics>;
