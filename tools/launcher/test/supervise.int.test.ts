import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterEach, describe, expect, it } from "vitest";

const nats = testNats();
const repoRoot = resolve(import.meta.dirname, "../../..");

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};
const parentOf = (pid: number) => {
  const stat = read(`/proc/${pid}/stat`);
  return stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : undefined;
};
const stateOf = (pid: number) => {
  const stat = read(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] : undefined;
};
const alive = (pid: number) => ![undefined, "Z"].includes(stateOf(pid));
/** The launcher's live child running `services/<service>/src/main.ts`, and the port it was given. */
const serviceChild = (launcher: number, service: string) => {
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!pid || parentOf(pid) !== launcher || !alive(pid)) continue;
    if (!read(`/proc/${pid}/cmdline`).includes(`services/${service}/src/main.ts`)) continue;
    const port = /(?:^|\0)PORT=(\d+)/.exec(read(`/proc/${pid}/environ`))?.[1];
    if (port) return { pid, port: Number(port) };
  }
  return undefined;
};
const readyPid = async (port: number) => {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? ((await response.json()) as { pid: number }).pid : undefined;
};

interface Launched {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every pid seen as the launcher's child, to check none is left behind. */
  seen: Set<number>;
}
const launched: Launched[] = [];
const dirs: string[] = [];
const squatters: Server[] = [];

const launch = async (): Promise<Launched> => {
  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-supervise-"));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [join(repoRoot, "tools/launcher/src/main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      REELGATE_DATA_DIR: dataDir,
      NATS_URL: nats.url!,
      PORT: String(await freePort()),
      REELGATE_SIMULATOR_PORT: String(await freePort()),
      REELGATE_NAMESPACE: uniqueNamespace("supervise"),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  const seen = new Set<number>();
  const watcher = setInterval(() => {
    for (const entry of readdirSync("/proc"))
      if (Number(entry) && parentOf(Number(entry)) === child.pid) seen.add(Number(entry));
  }, 20);
  void exited.then(() => clearInterval(watcher));
  const run = { child, output: () => output, exited, seen };
  launched.push(run);
  await waitFor("the banner", () => output.includes("Ctrl-C stops everything."), { timeoutMs: 60_000 });
  return run;
};

const exitOf = async (run: Launched, timeoutMs = 30_000) => {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void run.exited.then((value) => {
    exit = value;
  });
  return waitFor("the launcher to exit", () => exit, { timeoutMs });
};

/** Takes `port` as soon as its holder lets it go. */
const squat = (port: number) =>
  waitFor(
    `port ${port} to be free for the squatter`,
    () =>
      new Promise<Server | undefined>((done) => {
        const server = createServer();
        server.once("error", () => done(undefined));
        server.listen(port, "127.0.0.1", () => {
          squatters.push(server);
          done(server);
        });
      }),
    { timeoutMs: 10_000, intervalMs: 10 },
  );

afterEach(async () => {
  for (const run of launched.splice(0)) {
    if (run.child.exitCode === null) run.child.kill("SIGKILL");
    for (const pid of run.seen) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  for (const server of squatters.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!nats.url)("npm start supervises its children", () => {
  it("logs a SIGKILLed service's exit and starts it again: its /readyz answers with the new pid", async () => {
    const run = await launch();
    expect(run.output()).toContain("A process that dies is restarted");
    const before = serviceChild(run.child.pid!, "poller");
    expect(before).toBeDefined();
    expect(await readyPid(before!.port)).toBe(before!.pid);

    process.kill(before!.pid, "SIGKILL");
    await waitFor(
      "the exit in the log",
      () => run.output().includes(`poller (pid ${before!.pid}) exited with signal SIGKILL`),
      {
        timeoutMs: 10_000,
      },
    );
    const back = await waitFor(
      "poller back in the log",
      () => /poller is back \(pid (\d+), restart 1\)/.exec(run.output()) ?? undefined,
      {
        timeoutMs: 60_000,
      },
    );
    const pid = Number(back[1]);
    expect(pid).not.toBe(before!.pid);
    expect(await readyPid(before!.port)).toBe(pid);

    run.child.kill("SIGINT");
    expect(await exitOf(run)).toEqual({ code: 0, signal: null });
    expect([...run.seen].filter(alive)).toEqual([]);
  });

  it("gives up loudly on a service that crashes at once, again and again, and stops the platform", async () => {
    const run = await launch();
    const billing = serviceChild(run.child.pid!, "billing");
    expect(billing).toBeDefined();
    // Another process takes billing's port the moment it dies: every restart fails to listen.
    process.kill(billing!.pid, "SIGKILL");
    await squat(billing!.port);

    const exit = await exitOf(run, 90_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(run.output()).toMatch(/GIVING UP on billing: it crashed 5 times within 60 s/);
    expect(run.output()).toContain("EADDRINUSE");
    expect(run.output().match(/\[launcher\] billing \(pid \d+\) exited with/g)).toHaveLength(4);
    expect(run.output()).not.toContain("billing is back");
    expect([...run.seen].filter(alive)).toEqual([]);
  });
});
