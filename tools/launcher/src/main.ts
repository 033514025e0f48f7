import { resolve } from "node:path";
import { type Stack, type SupervisorEvent, startStack } from "./stack.ts";
import { defaultRestartPolicy, describeExit } from "./supervise.ts";

/** `npm start`: the whole platform on this machine, with a banner; Ctrl-C stops all of it. */
const dataDir = resolve(process.env.REELGATE_DATA_DIR ?? ".reelgate");
const verbose = process.env.LOG_LEVEL === "debug" || process.env.LOG_LEVEL === "trace";

const colour = (code: number, text: string) => (process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text);

// The signal handlers come first: a Ctrl-C while the platform starts stops what has started so far.
const aborter = new AbortController();
let stack: Stack | undefined;
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\n  stopping Reelgate...");
  if (!stack) {
    aborter.abort(new Error("stopped during start-up")); // startStack stops its processes, then rejects
    return;
  }
  await stack.stop();
  console.log("  stopped.");
  process.exit(0);
};

/** A crashed child is logged and restarted; one that keeps crashing stops the platform, loudly. */
const supervised = (event: SupervisorEvent) => {
  if (event.kind === "exited") {
    console.log(
      colour(33, `[launcher] ${event.name} (pid ${event.pid}) exited with ${describeExit(event.exit)}`) +
        `; restarting in ${(event.restartInMs / 1000).toFixed(1)} s (crash ${event.recentCrashes} in the last ${defaultRestartPolicy.windowMs / 1000} s)`,
    );
  } else if (event.kind === "restarted") {
    console.log(colour(32, `[launcher] ${event.name} is back (pid ${event.pid}, restart ${event.restarts})`));
  } else {
    console.error(
      colour(
        31,
        `\n  GIVING UP on ${event.name}: it crashed ${event.recentCrashes} times within ${defaultRestartPolicy.windowMs / 1000} s (last: ${describeExit(event.exit)}). Its last output:\n`,
      ),
    );
    console.error(event.tail);
    console.error(colour(31, `\n  Reelgate cannot run without ${event.name}: stopping everything.`));
    if (stopping) return;
    stopping = true;
    void (stack ? stack.stop() : Promise.resolve()).then(() => process.exit(1));
  }
};

process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

try {
  stack = await startStack({
    dataDir,
    ingressPort: Number(process.env.PORT ?? 8080),
    ...(process.env.NATS_URL
      ? { natsUrl: process.env.NATS_URL }
      : { natsPort: Number(process.env.REELGATE_NATS_PORT ?? 4222) }),
    simulatorPort: Number(process.env.REELGATE_SIMULATOR_PORT ?? 8090),
    ...(process.env.REELGATE_ADMIN_TOKEN ? { adminToken: process.env.REELGATE_ADMIN_TOKEN } : {}),
    ...(process.env.REELGATE_NAMESPACE ? { namespace: process.env.REELGATE_NAMESPACE } : {}),
    logLevel: process.env.LOG_LEVEL ?? "info",
    signal: aborter.signal,
    supervise: true,
    onSupervisor: supervised,
    onSpawn: (name, child) => {
      if (verbose) console.log(colour(90, `[launcher] started ${name} (pid ${child.child.pid})`));
    },
    onLine: (source, line) => {
      // Services log JSON, nats-server text: show warnings and errors, and everything when LOG_LEVEL asks for it.
      const important =
        /"level":(40|50|60)/.test(line) ||
        /\[(WRN|ERR|FTL)\]/.test(line) ||
        (source === "simulator" && !line.startsWith("{"));
      if (verbose || important) console.log(colour(90, `[${source}]`), line);
    },
  });
} catch (error) {
  if (aborter.signal.aborted) {
    console.log("  stopped.");
    process.exit(0);
  }
  console.error(`could not start Reelgate: ${(error as Error).message}`);
  process.exit(1);
}
if (stopping) {
  // The signal came as the last service became ready.
  await stack.stop();
  console.log("  stopped.");
  process.exit(0);
}

if (stack.simulatorUrl) {
  console.log(
    colour(
      33,
      `\n  NOTICE: no REELGATE_CHANNELS_FILE: every job goes to the built-in upstream simulator at ${stack.simulatorUrl}`,
    ),
  );
}
console.log(`
  ${colour(32, "Reelgate is running")}

  API         ${stack.url}
  Operations  http://127.0.0.1:${stack.ports.ingress}  (/healthz, /readyz, /metrics)
  Console     ${stack.url}/console/  (sign in with the admin token, or an API key)
  Admin token ${stack.adminToken}
  Data        ${stack.dataDir}
  NATS        ${stack.natsUrl}

  Paste these to open an account with $10, get an API key, and make a video:

    TOKEN=${stack.adminToken}
    ACCOUNT=$(curl -s ${stack.url}/admin/v1/accounts -H "Authorization: Bearer $TOKEN" \\
      -H 'Content-Type: application/json' -d '{"name":"demo","credits_usd":"10"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')
    KEY=$(curl -s -X POST ${stack.url}/admin/v1/accounts/$ACCOUNT/keys -H "Authorization: Bearer $TOKEN" \\
      | node -pe 'JSON.parse(require("fs").readFileSync(0)).key')
    curl -s ${stack.url}/v1/videos -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
      -d '{"model":"sora-2","prompt":"a lighthouse at dawn","seconds":"4","size":"720x1280"}'

  Then GET ${stack.url}/v1/videos/<id> until it is completed, and /v1/videos/<id>/content for the bytes.
  API docs: ${stack.url}/docs

  A process that dies is restarted (logged here as [launcher]); ${defaultRestartPolicy.maxCrashes} crashes within ${defaultRestartPolicy.windowMs / 1000} s stop the platform.
  Ctrl-C stops everything.
`);
