import { describe, expect, it } from "vitest";
import { mayPublish, servicePermissions } from "../src/permissions.ts";

describe("mayPublish: a subject against a NATS user's publish permissions", () => {
  const ingress = servicePermissions("ns").ingress!;

  it("lets ingress republish its own events (replay over HTTP) and no other service's", () => {
    expect(mayPublish(ingress, "ns.events.task.VideoRequested")).toBe(true);
    expect(mayPublish(ingress, "ns.events.apikey.ApiKeyRevoked")).toBe(true);
    expect(mayPublish(ingress, "ns.events.account.FundsCredited")).toBe(false);
    expect(mayPublish(ingress, "ns.events.job.JobCompleted")).toBe(false);
    expect(mayPublish(ingress, "other.events.task.VideoRequested")).toBe(false);
  });

  it("matches `*` as one token and `>` as one or more", () => {
    const allowed = { publish: ["a.*.c", "x.>"], subscribe: [] };
    expect(mayPublish(allowed, "a.b.c")).toBe(true);
    expect(mayPublish(allowed, "a.b.c.d")).toBe(false);
    expect(mayPublish(allowed, "a.c")).toBe(false);
    expect(mayPublish(allowed, "x.y.z")).toBe(true);
    expect(mayPublish(allowed, "x")).toBe(false);
  });
});
