import { createServer, type Server } from "node:http";
import { guardedFetch, parseOutboundAllow } from "@reelgate/outbound";
import { listenOnFreePort } from "@reelgate/testkit";
import { UpstreamError } from "@reelgate/upstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sniffedBody } from "../src/handlers/sniffed-body.ts";

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 7)]);

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (req.url === "/html") return res.writeHead(200, { "content-type": "image/png" }).end("<html>hi</html>");
    // The head in 3-byte writes, each flushed before the next: the sniff must gather more than one chunk.
    res.writeHead(200, { "content-type": "text/html" });
    for (let at = 0; at < 24; at += 3) {
      await new Promise<void>((done) => res.write(png.subarray(at, at + 3), () => setTimeout(done, 5)));
    }
    res.end(png.subarray(24));
  });
  port = await listenOnFreePort(server);
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const fetched = async (path: string) =>
  (
    await guardedFetch(`http://127.0.0.1:${port}${path}`, {
      timeoutMs: 5000,
      outboundAllow: parseOutboundAllow("127.0.0.0/8"),
    })
  ).body!;

describe("sniffedBody", () => {
  it("reads the type from the bytes of a fetched answer (not its header), and keeps every byte", async () => {
    const { contentType, chunks } = await sniffedBody(await fetched("/png"), "thumbnail");
    expect(contentType).toBe("image/png");
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    expect(Buffer.concat(parts).equals(png)).toBe(true);
  });

  it("gathers a head that comes in chunks smaller than a signature", async () => {
    const pieces = Array.from({ length: Math.ceil(png.length / 3) }, (_, i) => png.subarray(i * 3, i * 3 + 3));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pieces.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const { contentType, chunks } = await sniffedBody(body, "thumbnail");
    expect(contentType).toBe("image/png");
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    expect(parts.length).toBe(Math.ceil(png.length / 3));
    expect(Buffer.concat(parts).equals(png)).toBe(true);
  });

  it("refuses bytes that are no video or image it knows, whatever the header says, as final", async () => {
    const refusal = await sniffedBody(await fetched("/html"), "video").catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UpstreamError);
    expect(refusal).toMatchObject({ retryable: false });
    expect((refusal as Error).message).toMatch(/^video: the upstream's bytes are not a video or an image/);
  });
});
