import { services } from "@reelgate/launcher";
import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();

/** The value of every sample of `metric` whose labels include all of `labels`, from Prometheus text. */
const samples = (text: string, metric: string, labels: Record<string, string>) =>
  text
    .split("\n")
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .filter((line) => Object.entries(labels).every(([name, value]) => line.includes(`${name}="${value}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(" ") + 1)));

describe.skipIf(!nats.url)("operations endpoints on every service process", () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!);
    // One video through every service, so each has handled events it can count.
    const { client } = await platform.account("1");
    const created = await client.videos.create({ prompt: "measured", seconds: "4" });
    expect((await waitForEnd(client, created.id)).status).toBe("completed");
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("ingress serves only the API on its public port: the operations endpoints are on their own port", async () => {
    expect(platform.ports.ingress).not.toBe(Number(new URL(platform.url).port));
    for (const path of ["/metrics", "/readyz", "/healthz"]) {
      const response = await fetch(`${platform.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { type: string } }).error.type, path).toBe("not_found_error");
    }
    expect((await fetch(`http://127.0.0.1:${platform.ports.ingress}/v1/videos`)).status).toBe(404);
  });

  it.each(services)(
    "%s answers /healthz, /readyz and /metrics (Prometheus text with what it records)",
    async (service) => {
      const base = `http://127.0.0.1:${platform.ports[service]}`;
      const healthz = await fetch(`${base}/healthz`);
      expect(healthz.status).toBe(200);
      const pid = platform.processes.get(service)?.child.pid;
      expect(await healthz.json()).toEqual({ status: "ok", pid });
      const readyz = await fetch(`${base}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toMatchObject({ status: "ready", pid });

      // The /healthz request above is counted by the HTTP histogram; the events this service's consumers acked by its counter.
      const scrape = await waitFor(
        `${service}'s metrics to show the /healthz request and acked events`,
        async () => {
          const response = await fetch(`${base}/metrics`);
          expect(response.status).toBe(200);
          expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
          const text = await response.text();
          const healthzCount = samples(text, "reelgate_http_request_duration_seconds_count", {
            service,
            route: "/healthz",
            status: "200",
          });
          const acked = samples(text, "reelgate_events_handled_total", { service, outcome: "ack" });
          return healthzCount.some((value) => value >= 1) && acked.reduce((sum, value) => sum + value, 0) > 0 && text;
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      expect(scrape).toContain("# TYPE reelgate_events_handled_total counter");
      expect(scrape).toContain("# TYPE reelgate_http_request_duration_seconds histogram");
      expect(samples(scrape, "process_resident_memory_bytes", { service })[0]).toBeGreaterThan(0);
    },
  );
});
