import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { waitFor } from "@reelgate/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IDLE_SOCKET_MS, poolStats, resetPool } from "../src/connection-pool.ts";
import { guardedFetch, type HostLookup, OutboundError, parseOutboundAllow } from "../src/index.ts";

type Handler = (req: IncomingMessage, res: ServerResponse, nth: number) => void;

/** A server that counts its connections and, per connection, the requests on it (`nth` is 1 for the first). */
const serve = async (handler: Handler, { host = "127.0.0.1", port = 0 } = {}) => {
  const perSocket = new WeakMap<Socket, number>();
  const open = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  const bodies: string[] = [];
  const server: Server = createServer(async (req, res) => {
    requests++;
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    let body = "";
    for await (const chunk of req) body += chunk;
    bodies.push(body);
    handler(req, res, nth);
  });
  // Longer than the pool's own idle timer: the client is the one that closes idle sockets.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    connections++;
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  server.listen(port, host);
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    open: () => open.size,
    requests: () => requests,
    bodies,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};

type TestServer = Awaited<ReturnType<typeof serve>>;

const ok: Handler = (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok");
const exempt = parseOutboundAllow("127.0.0.0/8");
const base = { timeoutMs: 5000, outboundAllow: exempt };

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundError) return { kind: error.kind, reason: error.reason };
    throw error;
  }
  throw new Error("expected a failure");
};

const servers: TestServer[] = [];
const started = async (handler: Handler, options?: { host?: string; port?: number }) => {
  const server = await serve(handler, options);
  servers.push(server);
  return server;
};

beforeEach(() => resetPool());
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  resetPool();
});

describe("guardedFetch connection reuse", () => {
  it("sends sequential requests to one origin over one connection", async () => {
    const server = await started(ok);
    for (let i = 0; i < 10; i++) {
      expect(await (await guardedFetch(`http://127.0.0.1:${server.port}/n${i}`, base)).text()).toBe("ok");
    }
    expect(server.requests()).toBe(10);
    expect(server.connections()).toBe(1);
    expect(poolStats()).toMatchObject({ busy: 0, idle: 1 });
  });

  it("reuses the connection after a body-less answer and across a same-origin redirect", async () => {
    const server = await started((req, res) => {
      if (req.url === "/empty") res.writeHead(204).end();
      else if (req.url === "/moved") res.writeHead(302, { location: "/ok" }).end("moved");
      else ok(req, res, 0);
    });
    const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
    // A body-less answer hands its socket back a tick or two after the Response is returned: wait for it.
    const handedBack = () => waitFor("the socket to be handed back", () => poolStats().idle === 1);
    expect((await guardedFetch(url("/empty"), { ...base, method: "POST", body: "{}" })).status).toBe(204);
    await handedBack();
    // The redirect's own short body is drained, so the next hop goes out on the same socket.
    expect(await (await guardedFetch(url("/moved"), base)).text()).toBe("ok");
    expect(server.requests()).toBe(3);
    expect(server.connections()).toBe(1);
    // An answer to HEAD without a length ends its connection (Node's client will not keep it): closed, not leaked.
    expect((await guardedFetch(url("/ok"), { ...base, method: "HEAD" })).status).toBe(200);
    await waitFor("the HEAD's socket to be closed", () => poolStats().busy === 0 && server.open() === 0);
  });

  it("never hands a socket made for one checked address to another: a DNS answer that changes gets a new one", async () => {
    const first = await started(ok, { host: "127.0.0.1" });
    const second = await started(ok, { host: "127.0.0.3", port: first.port });
    let answer = "127.0.0.1";
    const lookup: HostLookup = async () => [{ address: answer, family: 4 }];
    const url = `http://api.test:${first.port}/video`;
    const fetchOnce = async () => (await guardedFetch(url, { ...base, lookup })).text();

    expect(await fetchOnce()).toBe("ok");
    answer = "127.0.0.3";
    expect(await fetchOnce()).toBe("ok");
    expect(first.requests()).toBe(1);
    expect(second.requests()).toBe(1);
    answer = "127.0.0.1";
    expect(await fetchOnce()).toBe("ok");
    // Back at the first address: its own pooled socket, not the second's.
    expect(first.requests()).toBe(2);
    expect(second.requests()).toBe(1);
    expect(first.connections()).toBe(1);
    expect(second.connections()).toBe(1);
  });

  it("keeps the sockets of two host names apart even when they resolve to the same address", async () => {
    const server = await started(ok);
    const lookup: HostLookup = async () => [{ address: "127.0.0.1", family: 4 }];
    for (const host of ["a.test", "b.test", "a.test", "b.test"]) {
      await (await guardedFetch(`http://${host}:${server.port}/`, { ...base, lookup })).text();
    }
    expect(server.requests()).toBe(4);
    expect(server.connections()).toBe(2);
  });

  it("still checks every address on a pooled origin: a DNS answer turned internal is refused", async () => {
    const server = await started(ok);
    let answer = "127.0.0.1";
    const lookup: HostLookup = async () => [{ address: answer, family: 4 }];
    const options = { ...base, outboundAllow: parseOutboundAllow("127.0.0.1"), lookup };
    const url = `http://api.test:${server.port}/`;
    expect(await (await guardedFetch(url, options)).text()).toBe("ok");
    answer = "127.0.0.5";
    expect((await failureOf(guardedFetch(url, options))).kind).toBe("blocked_address");
    expect(server.requests()).toBe(1);
  });

  it("sends a request once more, on a fresh socket, when the server closed the reused one before answering", async () => {
    // The server ends every connection when a second request arrives on it: the race of two idle timers, lost.
    const server = await started((req, res, nth) => (nth > 1 ? req.socket.destroy() : ok(req, res, nth)));
    const url = `http://127.0.0.1:${server.port}/jobs`;
    expect(await (await guardedFetch(url, base)).text()).toBe("ok");
    const response = await guardedFetch(url, { ...base, method: "POST", body: '{"prompt":"a cat"}' });
    expect(await response.text()).toBe("ok");
    expect(server.requests()).toBe(3);
    expect(server.connections()).toBe(2);
    // The body went out whole both times.
    expect(server.bodies.slice(1)).toEqual(['{"prompt":"a cat"}', '{"prompt":"a cat"}']);
  });

  it("retries a stale socket only once, and never a reset on a fresh one", async () => {
    let served = 0;
    // Answers the very first request only; every later one is cut before any answer.
    const server = await started((req, res) => (served++ === 0 ? ok(req, res, 0) : req.socket.destroy()));
    const url = `http://127.0.0.1:${server.port}/`;
    expect(await (await guardedFetch(url, base)).text()).toBe("ok");
    // On the reused socket, then once on a fresh one: two tries, then the failure.
    expect(await failureOf(guardedFetch(url, base))).toEqual({
      kind: "fetch_failed",
      reason: "the connection was reset",
    });
    expect(server.requests()).toBe(3);
    resetPool();
    // A fresh socket cut before the answer is not tried again.
    expect((await failureOf(guardedFetch(url, base))).kind).toBe("fetch_failed");
    expect(server.requests()).toBe(4);
  });

  it("copes with a server that closes each connection right after its answer", async () => {
    const server = await started((req, res) => {
      res.on("finish", () => req.socket.end());
      ok(req, res, 0);
    });
    for (let i = 0; i < 20; i++) {
      expect(await (await guardedFetch(`http://127.0.0.1:${server.port}/${i}`, base)).text()).toBe("ok");
    }
    expect(server.connections()).toBe(20);
  });

  it("lets go of the socket when the headers never come (timeout)", async () => {
    const server = await started(() => {});
    const failure = await failureOf(guardedFetch(`http://127.0.0.1:${server.port}/`, { ...base, timeoutMs: 200 }));
    expect(failure.kind).toBe("timed_out");
    await waitFor("the socket to be closed", () => poolStats().busy === 0 && server.open() === 0);
    expect(poolStats().idle).toBe(0);
  });

  it("lets go of the socket when the body stalls (timeout) or is aborted, and a later fetch gets a fresh one", async () => {
    const server = await started((req, res) => {
      if (req.url === "/stall") res.writeHead(200, { "content-length": "100" }).write("partial");
      else ok(req, res, 0);
    });
    const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

    const stalled = await guardedFetch(url("/stall"), { ...base, timeoutMs: 200 });
    expect((await failureOf(stalled.text())).kind).toBe("timed_out");
    await waitFor("the stalled socket to be closed", () => poolStats().busy === 0 && server.open() === 0);

    const controller = new AbortController();
    const aborted = await guardedFetch(url("/stall"), { ...base, signal: controller.signal });
    const reading = aborted.text().catch((error: unknown) => error);
    controller.abort(new Error("client went away"));
    expect(await reading).toMatchObject({ message: "client went away" });
    await waitFor("the aborted socket to be closed", () => poolStats().busy === 0 && server.open() === 0);

    expect(await (await guardedFetch(url("/ok"), base)).text()).toBe("ok");
    expect(poolStats()).toMatchObject({ busy: 0, idle: 1 });
  });

  it("keeps the socket of a short answer cancelled unread (a webhook's), once it has all arrived", async () => {
    const server = await started(ok);
    const url = `http://127.0.0.1:${server.port}/hook`;
    for (let i = 0; i < 3; i++) {
      const response = await guardedFetch(url, { ...base, method: "POST", body: "{}", maxRedirects: 0 });
      expect(response.status).toBe(200);
      await response.body?.cancel();
      await waitFor("the socket to be handed back", () => poolStats().idle === 1);
    }
    expect(server.requests()).toBe(3);
    expect(server.connections()).toBe(1);
  });

  it("lets go of the socket of a body cancelled before any read, and of one over the size cap", async () => {
    const server = await started((req, res) => {
      if (req.url === "/big") res.writeHead(200).write("x".repeat(5000));
      else res.writeHead(200, { "content-length": "100" }).write("partial");
    });
    const response = await guardedFetch(`http://127.0.0.1:${server.port}/`, base);
    await response.body?.cancel();
    await waitFor("the cancelled socket to be closed", () => poolStats().busy === 0 && server.open() === 0);

    const big = await guardedFetch(`http://127.0.0.1:${server.port}/big`, { ...base, maxBytes: 1000 });
    const cause = await big.text().catch((error: unknown) => (error as Error).cause ?? error);
    expect((cause as OutboundError).kind).toBe("too_large");
    await waitFor("the oversized socket to be closed", () => poolStats().busy === 0 && server.open() === 0);
  });

  it("an aborted signal of a finished fetch does not touch the socket it handed back", async () => {
    const server = await started(ok);
    const controller = new AbortController();
    const url = `http://127.0.0.1:${server.port}/`;
    expect(await (await guardedFetch(url, { ...base, signal: controller.signal })).text()).toBe("ok");
    controller.abort(new Error("later"));
    expect(await (await guardedFetch(url, base)).text()).toBe("ok");
    expect(server.connections()).toBe(1);
  });

  it("keeps at most 64 origins' pools: the least recently used one is dropped and its idle socket closed", async () => {
    const server = await started(ok);
    const lookup: HostLookup = async () => [{ address: "127.0.0.1", family: 4 }];
    const fetchFrom = async (host: string) =>
      (await guardedFetch(`http://${host}:${server.port}/`, { ...base, lookup })).text();
    for (let i = 0; i < 64; i++) await fetchFrom(`h${i}.test`);
    await waitFor("64 idle sockets", () => poolStats().idle === 64 && server.open() === 64);
    await fetchFrom("h0.test"); // now the most recently used: h1's pool goes first
    await fetchFrom("h64.test");
    await waitFor("the evicted pool's socket to be closed", () => poolStats().idle === 64 && server.open() === 64);
    expect(poolStats().agents).toBe(64);
    await fetchFrom("h0.test");
    expect(server.connections()).toBe(65);
    await fetchFrom("h1.test");
    expect(server.connections()).toBe(66);
  });

  it("closes idle sockets by itself, before common servers' 5 s keep-alive", async () => {
    expect(IDLE_SOCKET_MS).toBeLessThan(5000);
    const server = await started(ok);
    expect(await (await guardedFetch(`http://127.0.0.1:${server.port}/`, base)).text()).toBe("ok");
    expect(poolStats().idle).toBe(1);
    await waitFor("the idle socket to be closed", () => poolStats().idle === 0 && server.open() === 0, {
      timeoutMs: IDLE_SOCKET_MS + 10_000,
    });
  });
});
