import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, testNats, uniqueNamespace, waitFor } from "@reelgate/testkit";
import { afterEach, describe, expect, it } from "vitest";

const nats = testNats();
const repoRoot = resolve(import.meta.dirname, "../../..");

/** /proc/<pid>/stat: the state and parent pid (the command name in parentheses may hold spaces). */
const statOf = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
};
const childrenOf = (parent: number) =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => statOf(pid)?.ppid === parent);
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
};
/** Gone: no such process, or a zombie waiting for init to reap it (it runs nothing any more). */
const alive = (pid: number) => {
  const state = statOf(pid)?.state;
  return state !== undefined && state !== "Z";
};

interface Launched {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every pid ever seen as the launcher's child. */
  seen: Map<number, string>;
  stopWatching(): void;
}

const launched: Launched[] = [];
const dirs: string[] = [];

/** `npm start` without the install step (scripts/start.sh execs exactly this). */
const launch = async (env: NodeJS.ProcessEnv): Promise<Launched> => {
  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-launcher-"));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [join(repoRoot, "tools/launcher/src/main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      REELGATE_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      REELGATE_SIMULATOR_PORT: String(await freePort()),
      REELGATE_NATS_PORT: String(await freePort()),
      REELGATE_NAMESPACE: uniqueNamespace("launch"),
      LOG_LEVEL: "info",
      ...env,
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
  const seen = new Map<number, string>();
  const watch = () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    for (const pid of childrenOf(child.pid)) if (!seen.has(pid)) seen.set(pid, "");
    // Read the command line again while it lives: right after the fork it is still the launcher's, until the exec.
    for (const pid of seen.keys()) if (alive(pid)) seen.set(pid, commandOf(pid) || (seen.get(pid) ?? ""));
  };
  const watcher = setInterval(watch, 5);
  const run: Launched = {
    child,
    output: () => output,
    exited,
    seen,
    stopWatching: () => clearInterval(watcher),
  };
  launched.push(run);
  return run;
};

/** Waits for the launcher to exit, with a deadline. */
const exitOf = async (run: Launched, timeoutMs = 30_000) => {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void run.exited.then((value) => {
    exit = value;
  });
  await waitFor("the launcher to exit", () => exit, { timeoutMs });
  run.stopWatching();
  return exit!;
};

const leftBehind = (run: Launched) =>
  [...run.seen].filter(([pid]) => alive(pid)).map(([pid, command]) => `${pid} ${command}`);

afterEach(async () => {
  // A failed test must not leave a platform running: stop what is still alive, by pid.
  for (const run of launched.splice(0)) {
    run.stopWatching();
    if (run.child.exitCode === null) run.child.kill("SIGKILL");
    for (const [pid] of run.seen) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!nats.url)("npm start (the launcher)", () => {
  it("prints a banner whose commands work, and Ctrl-C (SIGINT) stops every process and exits 0", async () => {
    const run = await launch({ NATS_URL: nats.url! });
    await waitFor("the banner", () => run.output().includes("Ctrl-C stops everything."), { timeoutMs: 45_000 });
    const url = /API\s+(http:\/\/\S+)/.exec(run.output())?.[1];
    const token = /Admin token (\S+)/.exec(run.output())?.[1];
    expect(url).toBeDefined();
    expect(token).toBeDefined();

    // The banner's curl commands, with fetch.
    const admin = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const account = await fetch(`${url}/admin/v1/accounts`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "demo", credits_usd: "10" }),
    });
    expect(account.status).toBe(201);
    const { id: accountId } = (await account.json()) as { id: string };
    const issued = await fetch(`${url}/admin/v1/accounts/${accountId}/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(issued.status).toBe(201);
    const { key } = (await issued.json()) as { key: string };
    const created = await fetch(`${url}/v1/videos`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "sora-2", prompt: "a lighthouse at dawn", seconds: "4", size: "720x1280" }),
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ object: "video", status: "queued", model: "sora-2" });

    // The simulator and the five services (NATS is the test run's own here).
    const commands = [...run.seen.values()];
    expect(commands.filter((command) => command.includes("tools/simulator/src/main.ts"))).toHaveLength(1);
    for (const service of ["ingress", "billing", "poller", "storage", "notifier"]) {
      expect(commands.filter((command) => command.includes(`services/${service}/src/main.ts`))).toHaveLength(1);
    }
    expect([...run.seen.keys()].every(alive)).toBe(true);

    run.child.kill("SIGINT");
    expect(await exitOf(run)).toEqual({ code: 0, signal: null });
    expect(run.output()).toContain("stopped.");
    expect(leftBehind(run)).toEqual([]);
  });

  it.each([
    ["the first child (nats-server) is spawned", (commands: string[]) => commands.length > 0],
    ["a service is spawned", (commands: string[]) => commands.some((command) => command.includes("services/"))],
  ])("a Ctrl-C (SIGINT) as soon as %s stops everything started so far, and exits 0", async (_when, ready) => {
    const run = await launch({ NATS_URL: "" }); // its own nats-server: the first child it spawns
    await waitFor("the moment to interrupt", () => ready([...run.seen.values()]), { timeoutMs: 45_000, intervalMs: 5 });
    expect(run.output()).not.toContain("Reelgate is running");
    run.child.kill("SIGINT");
    expect(await exitOf(run)).toEqual({ code: 0, signal: null });
    expect(run.output()).not.toContain("Reelgate is running");
    expect(run.output()).toContain("stopped.");
    expect(run.seen.size).toBeGreaterThan(0);
    expect(leftBehind(run)).toEqual([]);
  });
});
