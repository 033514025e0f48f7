import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What the receiver answered. */
  status: number;
  receivedAt: number;
}

const flatHeaders = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));

/**
 * A webhook receiver on a loopback address: records every POST and answers each path with what its
 * plan says for the n-th request there (200 when no plan is set).
 */
export const startReceiver = async (host = "127.0.0.1") => {
  const received: Received[] = [];
  const plans = new Map<string, (n: number) => number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      const n = received.filter((entry) => entry.path === path).length + 1;
      const status = plans.get(path)?.(n) ?? 200;
      received.push({
        path,
        headers: flatHeaders(request.headers),
        body: Buffer.concat(chunks).toString("utf8"),
        status,
        receivedAt: Date.now(),
      });
      response.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
    });
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string, scheme = "http") => `${scheme}://${host}:${port}${path}`,
    received,
    /** TCP connections accepted, whatever came over them (a TLS hello to this plain server too). */
    connections: () => connections,
    at: (path: string) => received.filter((entry) => entry.path === path),
    plan(path: string, answer: (n: number) => number) {
      plans.set(path, answer);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
