import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { deflateSync } from "node:zlib";

/**
 * A small (in bytes) valid PNG made here, so the tests need no fixtures. It is 720×1280, sora-2's default size,
 * so input fitting (SPEC §1.1 `input_fit`) leaves it as sent and tests can follow its bytes upstream.
 */
export const tinyPng = (() => {
  const [width, height] = [720, 1280];
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 200)]);
  const rows = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
})();

export const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** An image host on `host` (e.g. 127.0.0.2, which the stack is told to allow): `/image.png`, `/redirect?to=`, `/text`, `/truncated`. */
export const startImageHost = async (host: string): Promise<{ url: string; close(): Promise<void> }> => {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://host");
    if (url.pathname === "/image.png")
      return void response.writeHead(200, { "content-type": "image/png" }).end(tinyPng);
    if (url.pathname === "/redirect")
      return void response.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
    if (url.pathname === "/text")
      return void response.writeHead(200, { "content-type": "image/png" }).end("not an image at all");
    if (url.pathname === "/truncated") {
      response.writeHead(200, { "content-type": "image/png", "content-length": String(tinyPng.length * 10) });
      response.write(tinyPng.subarray(0, 20));
      return void response.destroy();
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://${host}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
};
