import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnFreePort } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardedFetch, type HostLookup, noOutboundAllow, OutboundError, parseOutboundAllow } from "../src/index.ts";

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const listen = async (host: string, routes: Record<string, Route>) => {
  const hits: Array<{ path: string; headers: IncomingMessage["headers"]; method: string; body: string }> = [];
  let connections = 0;
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    hits.push({ path: req.url ?? "", headers: req.headers, method: req.method ?? "", body });
    const route = routes[req.url ?? ""];
    if (route) route(req, res);
    else res.writeHead(404).end("not found");
  });
  server.on("connection", () => connections++);
  const port = await listenOnFreePort(server, host);
  return {
    port,
    hits,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};

let origin: Awaited<ReturnType<typeof listen>>;
let other: Awaited<ReturnType<typeof listen>>;
const dns: HostLookup = async (host) => {
  if (host === "cdn.test") return [{ address: "127.0.0.3", family: 4 }];
  throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
};

beforeAll(async () => {
  other = await listen("127.0.0.3", { "/video": (_req, res) => res.writeHead(200).end("cdn bytes") });
  origin = await listen("127.0.0.1", {
    "/ok": (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("hello"),
    "/to-other": (_req, res) => res.writeHead(302, { location: `http://127.0.0.3:${other.port}/video` }).end(),
    "/to-cdn": (_req, res) => res.writeHead(307, { location: `http://cdn.test:${other.port}/video` }).end(),
    "/to-ok": (_req, res) => res.writeHead(303, { location: "/ok" }).end(),
    "/big": (_req, res) => res.writeHead(200).end("x".repeat(5000)),
  });
});

afterAll(() => {
  origin?.close();
  other?.close();
});

const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundError) return error.kind;
    throw error;
  }
  throw new Error("expected a refusal");
};

describe("guardedFetch", () => {
  const base = { timeoutMs: 2000, outboundAllow: noOutboundAllow, lookup: dns };

  it("refuses loopback unless the host is trusted or exempt", async () => {
    const url = `http://127.0.0.1:${origin.port}/ok`;
    expect(await refusal(guardedFetch(url, base))).toBe("blocked_address");
    expect(await (await guardedFetch(url, { ...base, trustedHosts: ["127.0.0.1"] })).text()).toBe("hello");
    const exempt = parseOutboundAllow("127.0.0.0/8");
    expect((await guardedFetch(url, { ...base, outboundAllow: exempt })).status).toBe(200);
  });

  it("refuses a redirect to a host outside allowedHosts without connecting to it", async () => {
    const before = other.connections();
    const url = `http://127.0.0.1:${origin.port}/to-other`;
    const options = { ...base, trustedHosts: ["127.0.0.1"], allowedHosts: ["127.0.0.1"] };
    expect(await refusal(guardedFetch(url, options))).toBe("host_not_allowed");
    expect(other.connections()).toBe(before);
  });

  it("follows a redirect to an allowed host and drops the credentials on the way", async () => {
    const url = `http://127.0.0.1:${origin.port}/to-cdn`;
    const response = await guardedFetch(url, {
      ...base,
      headers: { authorization: "Bearer sk-secret", "x-trace": "1" },
      trustedHosts: ["127.0.0.1", "cdn.test"],
      allowedHosts: ["127.0.0.1", "cdn.test"],
    });
    expect(await response.text()).toBe("cdn bytes");
    const hit = other.hits.at(-1);
    expect(hit?.headers.authorization).toBeUndefined();
    expect(hit?.headers["x-trace"]).toBe("1");
  });

  it("with maxRedirects 0 returns the 3xx itself", async () => {
    const response = await guardedFetch(`http://127.0.0.1:${origin.port}/to-other`, {
      ...base,
      trustedHosts: ["127.0.0.1"],
      maxRedirects: 0,
    });
    expect(response.status).toBe(302);
  });

  it("turns a POST into a GET on 303 and sends bodies", async () => {
    const response = await guardedFetch(`http://127.0.0.1:${origin.port}/to-ok`, {
      ...base,
      method: "POST",
      body: JSON.stringify({ a: 1 }),
      headers: { "content-type": "application/json" },
      trustedHosts: ["127.0.0.1"],
    });
    expect(await response.text()).toBe("hello");
    const [post, get] = origin.hits.slice(-2);
    expect(post).toMatchObject({ method: "POST", body: '{"a":1}', path: "/to-ok" });
    expect(get).toMatchObject({ method: "GET", body: "", path: "/ok" });
    expect(get?.headers["content-type"]).toBeUndefined();
  });

  it("caps the body while it streams", async () => {
    const response = await guardedFetch(`http://127.0.0.1:${origin.port}/big`, {
      ...base,
      trustedHosts: ["127.0.0.1"],
      maxBytes: 1000,
    });
    expect(
      await refusal(response.text().catch((error: unknown) => Promise.reject((error as Error).cause ?? error))),
    ).toBe("too_large");
  });
});

describe("parseOutboundAllow", () => {
  it("takes hosts, IPs and CIDRs, and refuses a malformed CIDR", () => {
    const allow = parseOutboundAllow(" localhost, 127.0.0.2 ,10.1.0.0/16,fd12::/16");
    expect([...allow.hosts]).toEqual(["localhost"]);
    expect(allow.blockedKind("127.0.0.2")).toBeNull();
    expect(allow.blockedKind("10.1.200.1")).toBeNull();
    expect(allow.blockedKind("10.2.0.1")).toBe("private");
    expect(() => parseOutboundAllow("10.0.0.0/33")).toThrow(/not an IPv4 or IPv6 network/);
    expect(parseOutboundAllow(undefined).blockedKind("127.0.0.1")).toBe("loopback");
  });
});
