import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The metrics every service exposes on /metrics; services add their own to `registry`. */
export const createMetrics = (service: string) => {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The event-loop delay monitor is a timer; at prom-client's default of 10 ms it woke every idle process 100 times
  // a second (~1% of a core each). Ten samples a second still catch any stall worth alerting on.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
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
  let countDeadLetters: (() => Promise<number>) | undefined;
  new Gauge({
    name: "reelgate_dead_letters",
    help: "Dead letters this service has set aside and no one has replayed yet (reelgate dead-letters list)",
    registers: [registry],
    async collect() {
      if (!countDeadLetters) return;
      // A scrape while NATS is away must still answer: the gauge keeps the last figure it read.
      const count = await countDeadLetters().catch(() => undefined);
      if (count !== undefined) this.set(count);
    },
  });
  return {
    registry,
    eventsHandled,
    httpDuration,
    /** Where the `reelgate_dead_letters` gauge reads its figure from at each scrape (the runtime sets it). */
    countDeadLettersWith(count: () => Promise<number>) {
      countDeadLetters = count;
    },
  };
};
export type Metrics = ReturnType<typeof createMetrics>;
