import { createServer, type Server } from "node:http";
import { listenOnFreePort } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { upstreamHttp } from "../src/fetch-upstream.ts";
import { UpstreamError } from "../src/provider.ts";

/** A real HTTP server on loopback: `/drip` sends its JSON one byte every 100 ms, for ever; `/ok` answers at once. */
describe("the time cap of one upstream request (`fetch`)", () => {
  let server: Server;
  let base: string;
  const drips = new Set<NodeJS.Timeout>();
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      if (request.url === "/ok") return void response.end('{"id":"video_1"}');
      response.write("[");
      const drip = setInterval(() => response.write(" "), 100);
      drips.add(drip);
      response.on("close", () => clearInterval(drip));
    });
    base = `http://127.0.0.1:${await listenOnFreePort(server)}`;
  });
  afterAll(async () => {
    for (const drip of drips) clearInterval(drip);
    server.closeAllConnections();
    server.close();
  });

  const http = () => upstreamHttp({ base_url: base, api_key: "k" }, { timeoutMs: 600 });

  it("holds for the whole answer: a body that never stops dripping (each silence well under the cap) times out", async () => {
    const client = http();
    const started = Date.now();
    const reading = client.json(await client.fetch(`${base}/drip`, {}, "status"), z.unknown(), "status");
    await expect(reading).rejects.toBeInstanceOf(UpstreamError);
    await expect(reading).rejects.toThrow(/not JSON|timed out/);
    // The cap is 0.6 s; the drip would go on for ever. Generous bound: a loaded machine may be slow to fire a timer.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("an answer read within the cap is the answer", async () => {
    const client = http();
    const response = await client.fetch(`${base}/ok`, {}, "status");
    expect(await client.json(response, z.object({ id: z.string() }), "status")).toEqual({ id: "video_1" });
  });
});
