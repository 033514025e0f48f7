import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { listenOnFreePort, waitFor } from "@reelgate/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { poolStats, resetPool } from "../src/connection-pool.ts";
import { bodyChunks, guardedFetch, OutboundError, parseOutboundAllow, readBodyCapped } from "../src/index.ts";

/** Routes that answer in several writes, so a body arrives as several chunks. */
const routes: Record<string, (res: ServerResponse) => void> = {
  "/pieces": (res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    let sent = 0;
    const next = () => {
      if (sent === 5) return res.end();
      res.write(Buffer.alloc(1000, 65 + sent++));
      setTimeout(next, 5);
    };
    next();
  },
  "/sized": (res) => res.writeHead(200, { "content-length": "6" }).end("sized!"),
  "/broken": (res) => {
    res
      .writeHead(200, { "content-length": "100" })
      .write("only part", () => setTimeout(() => res.socket?.destroy(), 20));
  },
  "/stall": (res) => res.writeHead(200).write("first bytes"),
  "/endless": (res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write("x".repeat(500)), 2);
    res.on("close", () => clearInterval(timer));
  },
};

let server: Server;
let port: number;
const open = new Set<Socket>();
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const route = routes[req.url ?? ""];
    if (route) route(res);
    else res.writeHead(404).end();
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  port = await listenOnFreePort(server);
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
afterEach(() => resetPool());

const base = { timeoutMs: 5000, outboundAllow: parseOutboundAllow("127.0.0.0/8") };
const url = (path: string) => `http://127.0.0.1:${port}${path}`;
const collect = async (chunks: AsyncIterable<Uint8Array>) => {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
};
const kindOf = (error: unknown) => (error instanceof OutboundError ? error.kind : error);
const socketsFree = () => waitFor("no busy socket", () => poolStats().busy === 0);

describe("bodyChunks and readBodyCapped on guardedFetch's answers", () => {
  it("give every byte of a body that arrives in pieces, lock the web stream, and hand the socket back", async () => {
    const response = await guardedFetch(url("/pieces"), base);
    const body = response.body!;
    const bytes = await collect(bodyChunks(body));
    expect(bytes.length).toBe(5000);
    expect(bytes.toString("latin1")).toBe(["A", "B", "C", "D", "E"].map((ch) => ch.repeat(1000)).join(""));
    // Taken: nobody else can read the same bytes again.
    expect(body.locked).toBe(true);
    await socketsFree();
    expect(poolStats().idle).toBe(1);
    expect((await readBodyCapped(await guardedFetch(url("/sized"), base), 100)).toString()).toBe("sized!");
    expect(poolStats().idle).toBe(1);
  });

  it("keep the size cap and the silence cap, and fail a body cut short", async () => {
    const big = await guardedFetch(url("/pieces"), { ...base, maxBytes: 2500 });
    expect(kindOf(await collect(bodyChunks(big.body!)).catch((error: unknown) => error))).toBe("too_large");
    const capped = await guardedFetch(url("/pieces"), base);
    expect(kindOf(await readBodyCapped(capped, 2500).catch((error: unknown) => error))).toBe("too_large");
    const broken = await guardedFetch(url("/broken"), base);
    const broke = await readBodyCapped(broken, 1000).catch((error: unknown) => error);
    expect(broke).toBeInstanceOf(OutboundError);
    expect((broke as OutboundError).kind).toBe("fetch_failed");
    const stalled = await guardedFetch(url("/stall"), { ...base, timeoutMs: 200 });
    expect(kindOf(await readBodyCapped(stalled, 1000).catch((error: unknown) => error))).toBe("timed_out");
    await socketsFree();
  });

  it("an abort from outside ends the read with the caller's reason", async () => {
    const controller = new AbortController();
    const response = await guardedFetch(url("/endless"), { ...base, signal: controller.signal });
    const chunks = bodyChunks(response.body!)[Symbol.asyncIterator]();
    expect((await chunks.next()).done).toBe(false);
    controller.abort(new Error("client went away"));
    const failure = await (async () => {
      for (;;) if ((await chunks.next()).done) return "ended";
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ message: "client went away" });
    await socketsFree();
  });

  it("leaving the loop early lets go of the socket", async () => {
    const response = await guardedFetch(url("/endless"), base);
    for await (const chunk of bodyChunks(response.body!)) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    await socketsFree();
    await waitFor("the server to see the connection closed", () => open.size === 0);
  });

  it("read any other body through its reader, and the rest of one that was partly read already", async () => {
    expect((await collect(bodyChunks(new Response("not ours").body!))).toString()).toBe("not ours");
    const response = await guardedFetch(url("/pieces"), base);
    const reader = response.body!.getReader();
    const first = await reader.read();
    reader.releaseLock();
    const rest = await collect(bodyChunks(response.body!));
    expect((first.value?.byteLength ?? 0) + rest.length).toBe(5000);
    expect(Buffer.from(first.value!).toString("latin1").at(0)).toBe("A");
    expect(rest.toString("latin1").at(-1)).toBe("E");
    await socketsFree();
  });
});
