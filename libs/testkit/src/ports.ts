import { once } from "node:events";
import { type AddressInfo, createServer, type Server } from "node:net";

/** A TCP port that was free a moment ago (the OS picks it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });

/** Starts `server` listening on a port the OS picks, on `host` (loopback unless told), and gives that port. */
export const listenOnFreePort = async (server: Server, host = "127.0.0.1"): Promise<number> => {
  server.listen(0, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
};
