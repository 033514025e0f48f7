import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { httpOk, type ManagedProcess, portAccepts, startProcess, stopProcess, waitUntil } from "./processes.ts";

export const services = ["ingress", "billing", "poller", "storage"] as const;
export type ServiceName = (typeof services)[number];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface StackOptions {
  dataDir: string;
  /** Ingress's port; the other services take the next ones unless `ports` says otherwise. */
  ingressPort?: number;
  natsUrl?: string;
  natsPort?: number;
  /** Run the upstream simulator (when no channels file is given). */
  simulatorPort?: number;
  simulatorJobMs?: number;
  adminToken?: string;
  /** Signs media URLs (REELGATE_SIGNING_SECRET); generated for the run when not given. */
  signingSecret?: string;
  namespace?: string;
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (source: string, line: string) => void;
}

export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
  });

const portOrFree = async (wanted: number | undefined) =>
  wanted !== undefined && !(await portAccepts(wanted)) ? wanted : freePort();

/**
 * The whole platform as separate processes: nats-server (unless NATS_URL is given), the upstream
 * simulator (unless a channels file is given), and the four services. Used by `npm start` and by
 * the end-to-end tests, so what the tests run is what a developer runs.
 */
export const startStack = async (options: StackOptions) => {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const adminToken = options.adminToken ?? randomBytes(24).toString("base64url");
  const signingSecret =
    options.signingSecret ??
    options.env?.REELGATE_SIGNING_SECRET ??
    process.env.REELGATE_SIGNING_SECRET ??
    randomBytes(32).toString("base64url");
  const ingressPort = await portOrFree(options.ingressPort);
  const ports: Record<ServiceName, number> = {
    ingress: ingressPort,
    billing: await freePort(),
    poller: await freePort(),
    storage: await freePort(),
  };
  const processes = new Map<string, ManagedProcess>();
  const line = (source: string) => (text: string) => options.onLine?.(source, text);

  let natsUrl = options.natsUrl;
  if (!natsUrl) {
    const binary = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim();
    if (!binary) throw new Error("nats-server is not installed and NATS_URL is not set (apt-get install nats-server)");
    const port = await portOrFree(options.natsPort);
    const storeDir = join(dataDir, "nats");
    const nats = startProcess("nats-server", binary, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], {
      env: process.env,
      cwd: repoRoot,
      onLine: line("nats"),
    });
    processes.set("nats-server", nats);
    await waitUntil("nats-server", () => portAccepts(port), nats);
    natsUrl = `nats://127.0.0.1:${port}`;
  }

  let simulatorUrl: string | undefined;
  const channelsFile = options.env?.REELGATE_CHANNELS_FILE ?? process.env.REELGATE_CHANNELS_FILE;
  if (!channelsFile) {
    const port = await portOrFree(options.simulatorPort);
    const simulator = startProcess("simulator", process.execPath, [join(repoRoot, "tools/simulator/src/main.ts")], {
      env: { ...process.env, PORT: String(port), SIM_JOB_DURATION_MS: String(options.simulatorJobMs ?? 3000) },
      cwd: repoRoot,
      onLine: line("simulator"),
    });
    processes.set("simulator", simulator);
    simulatorUrl = `http://127.0.0.1:${port}/v1`;
    await waitUntil("simulator", () => portAccepts(port), simulator);
  }

  const envFor = (service: ServiceName): NodeJS.ProcessEnv => ({
    ...process.env,
    ...options.env,
    PORT: String(ports[service]),
    REELGATE_DATA_DIR: dataDir,
    NATS_URL: natsUrl,
    REELGATE_ADMIN_TOKEN: adminToken,
    REELGATE_SIGNING_SECRET: signingSecret,
    // Signed media URLs point at ingress, whichever service signs them.
    REELGATE_PUBLIC_URL:
      options.env?.REELGATE_PUBLIC_URL ?? process.env.REELGATE_PUBLIC_URL ?? `http://127.0.0.1:${ingressPort}`,
    REELGATE_NAMESPACE: options.namespace ?? "reelgate",
    LOG_LEVEL: options.logLevel ?? "info",
    ...(simulatorUrl ? { REELGATE_SIMULATOR_URL: simulatorUrl } : {}),
  });

  const startService = async (service: ServiceName) => {
    const child = startProcess(service, process.execPath, [join(repoRoot, `services/${service}/src/main.ts`)], {
      env: envFor(service),
      cwd: repoRoot,
      onLine: line(service),
    });
    processes.set(service, child);
    await waitUntil(`${service} /readyz`, () => httpOk(`http://127.0.0.1:${ports[service]}/readyz`), child);
  };

  const stopService = async (service: ServiceName, signal: NodeJS.Signals = "SIGTERM") => {
    const child = processes.get(service);
    if (child) await stopProcess(child, signal);
  };

  const stop = async () => {
    await Promise.all(services.map((service) => stopService(service)));
    for (const name of ["simulator", "nats-server"]) {
      const child = processes.get(name);
      if (child) await stopProcess(child);
    }
  };

  try {
    await Promise.all(services.map(startService));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `http://127.0.0.1:${ingressPort}`,
    adminToken,
    natsUrl,
    simulatorUrl,
    ports,
    dataDir,
    processes,
    startService,
    stopService,
    stop,
  };
};

export type Stack = Awaited<ReturnType<typeof startStack>>;
