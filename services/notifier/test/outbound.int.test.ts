import { createServer, type Server } from "node:http";
import { parseOutboundAllow } from "@reelgate/outbound";
import { listenOnFreePort } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "../src/adapters/outbound.ts";

describe("a delivery's POST, under the SSRF rules", () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits.push(request.url ?? "/");
      if (request.url === "/redirect") response.writeHead(302, { location: "http://127.0.0.1/elsewhere" }).end();
      else response.writeHead(204).end();
    });
    port = await listenOnFreePort(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const body = { headers: { "content-type": "application/json" }, body: "{}" };

  it("reaches a loopback receiver over http only when REELGATE_OUTBOUND_ALLOW names it", async () => {
    expect(await postWebhook(parseOutboundAllow("127.0.0.1"))(`http://127.0.0.1:${port}/ok`, body)).toEqual({
      statusCode: 204,
      error: null,
    });
    expect(await postWebhook(parseOutboundAllow("localhost"))(`http://localhost:${port}/ok`, body)).toMatchObject({
      statusCode: 204,
    });
    const before = hits.length;
    const plain = await postWebhook(parseOutboundAllow(undefined))(`http://127.0.0.1:${port}/no`, body);
    expect(plain).toMatchObject({ statusCode: null, error: expect.stringMatching(/not https/) });
    const tls = await postWebhook(parseOutboundAllow(undefined))(`https://127.0.0.1:${port}/no`, body);
    expect(tls).toMatchObject({ statusCode: null, error: expect.stringMatching(/blocked_address/) });
    const other = await postWebhook(parseOutboundAllow("127.0.0.1"))(`https://127.0.0.3:${port}/no`, body);
    expect(other).toMatchObject({ statusCode: null, error: expect.stringMatching(/blocked_address/) });
    expect(hits.length).toBe(before);
  });

  it("answers a redirect's status and does not follow it", async () => {
    const before = hits.length;
    expect(await postWebhook(parseOutboundAllow("127.0.0.1"))(`http://127.0.0.1:${port}/redirect`, body)).toEqual({
      statusCode: 302,
      error: null,
    });
    expect(hits.slice(before)).toEqual(["/redirect"]);
  });

  it("records a URL that is not one, and a refused connection, as errors to retry", async () => {
    expect(await postWebhook(parseOutboundAllow(undefined))("not a url", body)).toMatchObject({ statusCode: null });
    const closed = await postWebhook(parseOutboundAllow("127.0.0.1"))("http://127.0.0.1:1/", body);
    expect(closed).toMatchObject({ statusCode: null, error: expect.stringMatching(/refused/) });
  });
});
