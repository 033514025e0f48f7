import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dataDirSecret } from "@reelgate/service-kit";
import { type LocalNatsConfig, OPERATOR, writeLocalNatsConfig } from "./nats-config.ts";
import { nodeEnvOf, nodeFlagsOf } from "./node-flags.ts";
import { type ManagedProcess, portAccepts, readyAs, startProcess, stopProcess, waitUntil } from "./processes.ts";
import { defaultRestartPolicy, type RestartPolicy } from "./supervise.ts";
import { createSupervisor } from "./supervisor.ts";

export const services = ["ingress", "billing", "poller", "storage", "notifier"] as const;
export type ServiceName = (typeof services)[number];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface StackOptions {
  dataDir: string;
  /** Ingress's port (a free one when it is taken or not given). */
  ingressPort?: number;
  /**
   * Each service's operations port (/healthz, /readyz, /metrics; ingress's is apart from its public port,
   * ingressPort+1 when free); free ones when not given. One found taken moves to another.
   */
  ports?: Partial<Record<ServiceName, number>>;
  natsUrl?: string;
  natsPort?: number;
  /** Run the upstream simulator (when no channels file is given). */
  simulatorPort?: number;
  /** Run the simulator even with a channels file (tests point the file's channels at it). */
  withSimulator?: boolean;
  /** Processes per service (default 1): e.g. `{ poller: 2 }` runs two pollers side by side. */
  replicas?: Partial<Record<ServiceName, number>>;
  simulatorJobMs?: number;
  adminToken?: string;
  /** Signs media URLs (REELGATE_SIGNING_SECRET); generated for the run when not given. */
  signingSecret?: string;
  namespace?: string;
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (source: string, line: string) => void;
  /**
   * Aborting it during start-up stops every process started so far, and startStack rejects with
   * the abort reason (Ctrl-C while the platform starts leaves nothing behind).
   */
  signal?: AbortSignal;
  /** Extra node flags for a service's processes (the bench's `--cpu-prof`, not allowed in NODE_OPTIONS). */
  nodeArgs?: (service: ServiceName) => string[];
  /** Called as each process is spawned (before it is ready). */
  onSpawn?: (name: string, process: ManagedProcess) => void;
  /**
   * Restart a child that dies once the platform is up (with backoff; giving up after repeated fast
   * crashes): `npm start` does, as Kubernetes would. Off by default: tests stop services on purpose.
   */
  supervise?: boolean | Partial<RestartPolicy>;
  /** What the supervisor did: a child's exit, its restart (ready again), or giving up on it. */
  onSupervisor?: (event: SupervisorEvent) => void;
}

export type SupervisorEvent =
  | {
      kind: "exited";
      name: string;
      pid: number | undefined;
      exit: Exit;
      restartInMs: number;
      recentCrashes: number;
      /** Its last output lines. */
      tail: string;
    }
  | { kind: "restarted"; name: string; pid: number | undefined; restarts: number }
  | { kind: "gave-up"; name: string; pid: number | undefined; exit: Exit; recentCrashes: number; tail: string };
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

const policyOf = (supervise: StackOptions["supervise"]): RestartPolicy | undefined =>
  supervise ? { ...defaultRestartPolicy, ...(supervise === true ? {} : supervise) } : undefined;

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
  const { signal } = options;
  signal?.throwIfAborted();
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // Generated once and kept under the data dir when not given: a restart keeps the admin token and signed URLs.
  const adminToken = options.adminToken ?? dataDirSecret(dataDir, "admin-token");
  const signingSecret =
    options.signingSecret ??
    options.env?.REELGATE_SIGNING_SECRET ??
    process.env.REELGATE_SIGNING_SECRET ??
    dataDirSecret(dataDir, "signing-secret");
  let ingressPort = await portOrFree(options.ingressPort);
  const ports: Record<ServiceName, number> = {
    ingress: options.ports?.ingress ?? (await portOrFree(ingressPort + 1)),
    billing: options.ports?.billing ?? (await freePort()),
    poller: options.ports?.poller ?? (await freePort()),
    storage: options.ports?.storage ?? (await freePort()),
    notifier: options.ports?.notifier ?? (await freePort()),
  };
  const processes = new Map<string, ManagedProcess>();
  const line = (source: string) => (text: string) => options.onLine?.(source, text);
  const track = (name: string, child: ManagedProcess) => {
    processes.set(name, child);
    options.onSpawn?.(name, child);
  };
  const supervisor = createSupervisor({
    policy: policyOf(options.supervise),
    current: (name) => processes.get(name),
    track,
    emit: (event) => options.onSupervisor?.(event),
  });

  /** Stops every process started so far: the services first, then the simulator, then nats-server. */
  const stopStarted = async () => {
    supervisor.close();
    const infrastructure = ["simulator", "nats-server"];
    await Promise.all(
      [...processes].filter(([name]) => !infrastructure.includes(name)).map(([, child]) => stopProcess(child)),
    );
    for (const name of infrastructure) {
      const child = processes.get(name);
      if (child) await stopProcess(child);
    }
  };

  try {
    return await startAll();
  } catch (error) {
    await stopStarted();
    throw signal?.aborted ? signal.reason : error;
  }

  async function startAll() {
    let natsUrl = options.natsUrl;
    let natsCredentials: LocalNatsConfig["credentials"] | undefined;
    if (!natsUrl) {
      const binary = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim();
      if (!binary)
        throw new Error("nats-server is not installed and NATS_URL is not set (apt-get install nats-server)");
      const port = await portOrFree(options.natsPort);
      // Each service connects as its own user, with only the subjects it needs.
      const config = writeLocalNatsConfig({ dataDir, port, namespace: options.namespace ?? "reelgate" });
      natsCredentials = config.credentials;
      // Restarted on the same port, config and store: the streams are on disk.
      const spawnNats = () =>
        startProcess("nats-server", binary, ["-c", config.file], {
          env: process.env,
          cwd: repoRoot,
          onLine: line("nats"),
        });
      const nats = spawnNats();
      track("nats-server", nats);
      await waitUntil("nats-server", () => portAccepts(port), nats, 30_000, signal);
      supervisor.adopt("nats-server", nats, { spawn: spawnNats, ready: () => portAccepts(port) });
      natsUrl = `nats://127.0.0.1:${port}`;
    }

    let simulatorUrl: string | undefined;
    const channelsFile = options.env?.REELGATE_CHANNELS_FILE ?? process.env.REELGATE_CHANNELS_FILE;
    if (!channelsFile || options.withSimulator) {
      const port = await portOrFree(options.simulatorPort);
      const spawnSimulator = () =>
        startProcess("simulator", process.execPath, [join(repoRoot, "tools/simulator/src/main.ts")], {
          env: { ...process.env, PORT: String(port), SIM_JOB_DURATION_MS: String(options.simulatorJobMs ?? 3000) },
          cwd: repoRoot,
          onLine: line("simulator"),
        });
      const simulator = spawnSimulator();
      track("simulator", simulator);
      simulatorUrl = `http://127.0.0.1:${port}/v1`;
      await waitUntil("simulator", () => portAccepts(port), simulator, 30_000, signal);
      supervisor.adopt("simulator", simulator, { spawn: spawnSimulator, ready: () => portAccepts(port) });
    }

    const envFor = (service: ServiceName): NodeJS.ProcessEnv => ({
      // The launcher's own environment may override the service's defaults (MALLOC_ARENA_MAX, say).
      ...nodeEnvOf(service),
      ...process.env,
      ...options.env,
      PORT: String(service === "ingress" ? ingressPort : ports[service]),
      ...(service === "ingress" ? { REELGATE_OPERATIONS_PORT: String(ports.ingress) } : {}),
      REELGATE_DATA_DIR: dataDir,
      NATS_URL: natsUrl,
      ...natsCredentials?.[service],
      REELGATE_ADMIN_TOKEN: adminToken,
      REELGATE_SIGNING_SECRET: signingSecret,
      // Signed media URLs point at ingress, whichever service signs them.
      REELGATE_PUBLIC_URL:
        options.env?.REELGATE_PUBLIC_URL ?? process.env.REELGATE_PUBLIC_URL ?? `http://127.0.0.1:${ingressPort}`,
      REELGATE_NAMESPACE: options.namespace ?? "reelgate",
      LOG_LEVEL: options.logLevel ?? "info",
      ...(simulatorUrl ? { REELGATE_SIMULATOR_URL: simulatorUrl } : {}),
    });

    // Replica n > 1 of a service is the process `${service}-${n}`, on a port of its own.
    const replicaNames = (service: ServiceName) =>
      Array.from({ length: options.replicas?.[service] ?? 1 }, (_, index) =>
        index === 0 ? service : `${service}-${index + 1}`,
      );
    const replicaPorts = new Map<string, number>();

    /**
     * A port picked free can be taken by another process before the service binds it (tests start
     * platforms in parallel): a service that finds its port taken starts again on another, unless
     * the caller asked for that port.
     */
    const startReplica = async (service: ServiceName, name: string) => {
      for (let attempt = 1; ; attempt++) {
        const port = name === service ? ports[service] : (replicaPorts.get(name) ?? (await freePort()));
        replicaPorts.set(name, port);
        // `port` is where /readyz answers: ingress's operations port; its public port is apart.
        const portEnv =
          service !== "ingress"
            ? { PORT: String(port) }
            : {
                PORT: String(name === service ? ingressPort : await freePort()),
                REELGATE_OPERATIONS_PORT: String(port),
              };
        const spawn = () =>
          startProcess(
            name,
            process.execPath,
            [
              ...nodeFlagsOf(service),
              ...(options.nodeArgs?.(service) ?? []),
              join(repoRoot, `services/${service}/src/main.ts`),
            ],
            {
              env: { ...envFor(service), ...portEnv },
              cwd: repoRoot,
              onLine: line(name),
            },
          );
        const child = spawn();
        track(name, child);
        try {
          await waitUntil(`${name} /readyz`, () => readyAs(port, child), child, 30_000, signal);
          supervisor.adopt(name, child, { spawn, ready: (next) => readyAs(port, next) });
          return;
        } catch (error) {
          const chosen = service === "ingress" && name === service && options.ingressPort !== undefined;
          if (attempt >= 3 || chosen || !/EADDRINUSE/.test(child.tail())) throw error;
          const next = await freePort();
          replicaPorts.set(name, next);
          if (name === service) ports[service] = next;
          // Either of ingress's two ports may be the one taken: both move.
          if (service === "ingress" && name === service) ingressPort = await freePort();
        }
      }
    };

    /** Starts the service (every replica of it, one after the other: replicas open the same embedded stores). */
    const startService = async (service: ServiceName) => {
      for (const name of replicaNames(service)) await startReplica(service, name);
    };

    /** Stops the service (every replica of it). */
    const stopService = async (service: ServiceName, signal: NodeJS.Signals = "SIGTERM") => {
      await Promise.all(
        replicaNames(service).map(async (name) => {
          supervisor.hold(name);
          const child = processes.get(name);
          if (child) await stopProcess(child, signal);
        }),
      );
    };

    const stop = async () => {
      supervisor.close();
      await Promise.all(services.map((service) => stopService(service)));
      for (const name of ["simulator", "nats-server"]) {
        const child = processes.get(name);
        if (child) await stopProcess(child);
      }
    };

    // Every service starts, or none is left running (stopStarted, above, also covers an abort).
    const started = await Promise.allSettled(services.map(startService));
    const failed = started.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    signal?.throwIfAborted();

    return {
      url: `http://127.0.0.1:${ingressPort}`,
      adminToken,
      natsUrl,
      /** How tools beside the services sign in to the nats-server the stack runs (none for a NATS of your own). */
      natsOperator: natsCredentials?.[OPERATOR],
      simulatorUrl,
      ports,
      dataDir,
      processes,
      startService,
      stopService,
      stop,
      /** How many times the supervisor restarted the process `name`. */
      restarts: supervisor.restarts,
    };
  }
};

export type Stack = Awaited<ReturnType<typeof startStack>>;
