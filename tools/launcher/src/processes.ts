import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** How it ended: its exit code, or the signal that ended it. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote, for error messages. */
  tail(): string;
}

/** Starts a child whose output goes to `onLine`, and remembers its last lines. */
export const startProcess = (
  name: string,
  command: string,
  args: string[],
  { env, cwd, onLine }: { env: NodeJS.ProcessEnv; cwd: string; onLine?: (line: string) => void },
): ManagedProcess => {
  // Its own process group: a terminal's Ctrl-C reaches only the launcher, which stops children in order.
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      onLine?.(line);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const exited = ended.then(({ code }) => code);
  return { name, child, exited, ended, tail: () => lines.join("\n") };
};

/** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
export const stopProcess = async (process: ManagedProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000) => {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill(signal);
  // A child stopped with SIGSTOP (a test's freeze) only acts on the signal once it runs again.
  if (signal !== "SIGKILL") process.child.kill("SIGCONT");
  const timer = setTimeout(() => process.child.kill("SIGKILL"), graceMs);
  await process.exited;
  clearTimeout(timer);
};

export const portAccepts = (port: number, host = "127.0.0.1") =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/** Waits until `probe` is true, failing early if the process exits or `signal` aborts. */
export const waitUntil = async (
  what: string,
  probe: () => Promise<boolean>,
  process: ManagedProcess | undefined,
  timeoutMs = 30_000,
  signal?: AbortSignal,
) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (process && (process.child.exitCode !== null || process.child.signalCode !== null)) {
      throw new Error(`${process.name} exited while waiting for ${what}:\n${process.tail()}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${process ? `:\n${process.tail()}` : ""}`);
};

export const httpOk = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

/** `/readyz` answers 200 from this very process: not from another one that took the port it was given. */
export const readyAs = async (port: number, process: ManagedProcess) => {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
  return response.ok && ((await response.json()) as { pid?: number }).pid === process.child.pid;
};
