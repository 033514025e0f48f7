import { randomBytes } from "node:crypto";
import { openAiErrorSchema } from "@reelgate/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, type Ingress, ingress, KEY } from "./harness.ts";

const SECRET = "media-signing-secret-for-tests-0123456789";

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((counts, status) => {
    counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }, {});

const expectRateLimited = (response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }) => {
  expect(response.statusCode).toBe(429);
  expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
  const { error } = openAiErrorSchema.parse(response.json());
  expect(error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
  return error;
};

describe("rate limits (issue 9.10)", () => {
  let api: Ingress;
  afterEach(async () => api.close());

  it("throttles failed authentication by client address: 3,200 made-up keys get 429s after the threshold", async () => {
    api = await ingress({ rateLimits: { authFailuresPerMinute: 50 } });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api.app.inject>> | undefined;
    for (let i = 0; i < 3200; i++) {
      last = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        remoteAddress: "203.0.113.7",
        headers: { authorization: `Bearer rg-${randomBytes(16).toString("hex")}` },
        payload: { prompt: "guess" },
      });
      statuses.push(last.statusCode);
    }
    expect(tally(statuses)).toEqual({ 401: 50, 429: 3150 });
    expect(statuses.slice(0, 50).every((status) => status === 401)).toBe(true);
    expect(expectRateLimited(last!).message).toContain("failed authentications");
    expect(await api.recorded()).toBe(0);

    // A valid key from the same address is not held back, and another address still gets its 401s.
    const valid = await api.app.inject({
      method: "GET",
      url: "/v1/videos",
      remoteAddress: "203.0.113.7",
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(valid.statusCode).toBe(200);
    const elsewhere = await api.app.inject({
      method: "GET",
      url: "/v1/videos",
      remoteAddress: "198.51.100.1",
      headers: { authorization: "Bearer rg-made-up" },
    });
    expect(elsewhere.statusCode).toBe(401);
    // No key at all is a failed authentication too.
    const none = await api.app.inject({ method: "GET", url: "/v1/videos", remoteAddress: "203.0.113.7" });
    expectRateLimited(none);
  });

  it("throttles the admin API per address, valid token or not, and counts wrong tokens as failed authentications", async () => {
    api = await ingress({ rateLimits: { adminPerMinute: 5, authFailuresPerMinute: 3 } });
    const adminGet = (token: string, remoteAddress: string) =>
      api.app.inject({
        method: "GET",
        url: "/admin/v1/videos/video_nope",
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await adminGet(ADMIN_TOKEN, "192.0.2.1")).statusCode);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    expect(expectRateLimited(await adminGet(ADMIN_TOKEN, "192.0.2.1")).message).toContain("admin requests");

    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) guesses.push((await adminGet(`wrong-${i}`, "192.0.2.2")).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429, 429]);
  });

  it("throttles /media per address", async () => {
    api = await ingress({ signingSecret: SECRET, rateLimits: { mediaPerMinute: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await api.app.inject({
        method: "GET",
        url: "/media/videos/a.mp4?expires=1&signature=x",
        remoteAddress: "192.0.2.9",
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([403, 403, 403, 429, 429]);
  });

  it("keeps per-key limits for valid keys", async () => {
    api = await ingress({ rateLimitPerMinute: 4 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await api.app.inject({
        method: "GET",
        url: "/v1/videos",
        headers: { authorization: `Bearer ${KEY}` },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it("with several replicas, each ingress counts its share: N replicas together allow the configured limit", async () => {
    const replicas = 3;
    const fleet = await Promise.all(
      Array.from({ length: replicas }, () => ingress({ rateLimits: { authFailuresPerMinute: 60, replicas } })),
    );
    try {
      const statuses: number[] = [];
      // Requests spread over the replicas at random, as a load balancer of many connections does.
      for (let i = 0; i < 600; i++) {
        const replica = fleet[Math.floor(Math.random() * replicas)]!;
        const response = await replica.app.inject({
          method: "GET",
          url: "/v1/videos",
          remoteAddress: "203.0.113.50",
          headers: { authorization: `Bearer rg-${i}` },
        });
        statuses.push(response.statusCode);
      }
      expect(tally(statuses)).toEqual({ 401: 60, 429: 540 });
    } finally {
      await Promise.all(fleet.map((replica) => replica.close()));
    }
    api = await ingress();
  });
});
