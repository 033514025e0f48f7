import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/metrics.ts";
import { registerHttpMetrics } from "../src/operations.ts";

/** The histogram's `_count` samples, by `route status`. */
const counts = async (metrics: ReturnType<typeof createMetrics>) => {
  const { values } = await metrics.httpDuration.get();
  return Object.fromEntries(
    values
      .filter((sample) => sample.metricName === "reelgate_http_request_duration_seconds_count")
      .map((sample) => [`${sample.labels.route} ${sample.labels.status}`, sample.value]),
  );
};

describe("the HTTP duration histogram", () => {
  it("counts every answer under its own route and status, children bound once or not", async () => {
    const metrics = createMetrics("test");
    const app = Fastify();
    registerHttpMetrics(app, metrics);
    app.get("/things/:id", async (request, reply) =>
      (request.params as { id: string }).id === "missing" ? reply.code(404).send({}) : { ok: true },
    );
    app.post("/things", async () => ({ ok: true }));
    for (const url of ["/things/a", "/things/b", "/things/missing", "/things/a", "/nowhere"])
      await app.inject({ method: "GET", url });
    await app.inject({ method: "POST", url: "/things", payload: {} });
    expect(await counts(metrics)).toEqual({
      "/things/:id 200": 3,
      "/things/:id 404": 1,
      "unmatched 404": 1,
      "/things 200": 1,
    });
    const { values } = await metrics.httpDuration.get();
    const sum = values.find(
      (sample) =>
        sample.metricName?.endsWith("_sum") && sample.labels.route === "/things/:id" && sample.labels.status === "200",
    );
    expect(sum?.value).toBeGreaterThan(0);
    await app.close();
  });
});
