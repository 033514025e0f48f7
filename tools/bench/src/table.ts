import { mkdirSync, readdirSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { cpuSeconds, ioSyscalls, rssMiB } from "./cpu.ts";
import { startBenchPlatform } from "./platform.ts";
import { runPollerInFlight } from "./poller.ts";
import { summarize } from "./profile-summary.ts";

/**
 * Issue 14's table, in one run, over loopback, against the whole platform (`npm start`'s processes)
 * with a simulator that completes jobs at once:
 *  1. creates/s and p50/p99 of POST /v1/videos, 50 connections × 10 s, then CPU ms per video for each
 *     process from the first create until the platform is quiet again (every video stored), divided by videos;
 *  2. end to end: a burst of creates timed until every one is completed with its media stored;
 *  3. reads/s of GET /v1/videos/{id};
 *  4. peak RSS per process over the run; and the poller's RSS with 10,000 jobs in flight.
 * `--profile` starts every service with `--cpu-prof` (files in `.profiles/`, gitignored) and takes a heap
 * snapshot of the poller while it holds its jobs. Prints figures; asserts nothing; stops by itself.
 */
const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
const profile = process.argv.includes("--profile");
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const createSeconds = Number(process.env.BENCH_CREATE_SECONDS ?? 10);
const readSeconds = Number(process.env.BENCH_READ_SECONDS ?? 10);
const endToEndVideos = Number(process.env.BENCH_E2E_VIDEOS ?? 2000);
const inFlightJobs = Number(process.env.BENCH_INFLIGHT_JOBS ?? 10_000);
const profileDir = join(repoRoot, ".profiles", new Date().toISOString().replace(/[:.]/g, "-"));

const line = (label: string, value: string) => console.log(`  ${label.padEnd(40)} ${value}`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export const runTable = async () => {
  if (profile) mkdirSync(profileDir, { recursive: true });
  const loadBefore = (await import("node:os")).loadavg();
  const { stack, key, dataDir, stop } = await startBenchPlatform(
    profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  );
  const processes = () =>
    [...stack.processes.entries()]
      .filter(([name]) => name !== "simulator")
      .map(([name, managed]) => ({ name, pid: managed.child.pid }));
  const cpu = () => Object.fromEntries(processes().map(({ name, pid }) => [name, cpuSeconds(pid) ?? 0]));
  const syscalls = () => Object.fromEntries(processes().map(({ name, pid }) => [name, ioSyscalls(pid)]));
  // Peak RSS over the whole run, sampled (VmHWM would include start-up).
  const peaks: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const { name, pid } of processes()) peaks[name] = Math.max(peaks[name] ?? 0, rssMiB(pid) ?? 0);
  }, 100);
  sampler.unref();

  // Stored videos counted straight from ingress's view (read-only, WAL: never blocks the writer).
  const views = new DatabaseSync(join(dataDir, "ingress.views.db"), { readOnly: true });
  const storedQuery = views.prepare(
    "SELECT count(*) AS n FROM videos WHERE json_extract(doc, '$.assets.video.stored') IS NOT NULL",
  );
  const stored = () => Number((storedQuery.get() as { n: number }).n);
  /** Waits until `target` videos are stored and every process's CPU stops moving: the platform is quiet. */
  const quiescence = async (target: number) => {
    const deadline = Date.now() + 600_000;
    while (stored() < target && Date.now() < deadline) await sleep(100);
    const reachedAt = performance.now();
    // Then until a 500 ms window in which no process used more than its idle rate (timers, heartbeats,
    // the profiler's sampling) plus 2% of a core.
    for (let previous = cpu(); Date.now() < deadline; ) {
      await sleep(500);
      const now = cpu();
      const quiet = (name: string) => (now[name] ?? 0) - (previous[name] ?? 0) <= (idle[name] ?? 0) * 0.5 + 0.01;
      if (Object.keys(now).every(quiet)) break;
      previous = now;
    }
    return reachedAt;
  };

  // Each process's CPU seconds per second when idle, measured before any request.
  const idleStart = cpu();
  await sleep(3000);
  const idleEnd = cpu();
  const idle = Object.fromEntries(
    Object.keys(idleEnd).map((name) => [name, ((idleEnd[name] ?? 0) - (idleStart[name] ?? 0)) / 3]),
  );
  const body = JSON.stringify({ model: "sora-2", prompt: "a bench of videos", seconds: "4", size: "720x1280" });
  const request = {
    url: `${stack.url}/v1/videos`,
    method: "POST" as const,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  };
  try {
    // Warm-up (JIT, SQLite pages, connections), then let it drain.
    const warm = await autocannon({ ...request, connections: 4, duration: 2 });
    await quiescence(warm["2xx"]);

    // 1. Creates, the whole platform running; CPU from the first create until quiet, per video.
    const storedBefore = stored();
    const cpuBefore = cpu();
    const syscallsBefore = syscalls();
    const creates = await autocannon({ ...request, connections, duration: createSeconds });
    await quiescence(storedBefore + creates["2xx"]);
    const cpuAfter = cpu();
    const syscallsAfter = syscalls();
    const videos = creates["2xx"];
    console.log(
      `\nPOST /v1/videos, JSON, ${connections} connections × ${createSeconds} s, whole platform running (load before: ${loadBefore.map((l) => l.toFixed(1)).join(" ")})`,
    );
    line("creates per second (mean)", creates.requests.average.toFixed(0));
    line("latency p50 / p99 (ms)", `${creates.latency.p50} / ${creates.latency.p99}`);
    line("non-2xx / errors / timeouts", `${creates.non2xx} / ${creates.errors} / ${creates.timeouts}`);
    console.log(`\nCPU ms per video, from the first create until quiet (${videos} videos, all stored)`);
    let total = 0;
    for (const { name } of processes()) {
      const ms = (((cpuAfter[name] ?? 0) - (cpuBefore[name] ?? 0)) * 1000) / Math.max(1, videos);
      total += ms;
      line(name, ms.toFixed(2));
    }
    line("all processes", total.toFixed(2));
    console.log("\nwrite / read system calls per video (sockets and files), same span");
    for (const { name } of processes()) {
      const [before, after] = [syscallsBefore[name], syscallsAfter[name]];
      const per = (n: number) => (n / Math.max(1, videos)).toFixed(1);
      if (before && after) line(name, `${per(after.writes - before.writes)} / ${per(after.reads - before.reads)}`);
    }
    line(
      "idle CPU before the run (% of a core)",
      Object.entries(idle)
        .map(([name, rate]) => `${name} ${(rate * 100).toFixed(1)}`)
        .join(", "),
    );

    // 2. End to end: a burst, timed until every video of it is stored.
    const e2eBefore = stored();
    const started = performance.now();
    const burst = await autocannon({ ...request, connections, amount: endToEndVideos });
    const reachedAt = await quiescence(e2eBefore + burst["2xx"]);
    const seconds = (reachedAt - started) / 1000;
    console.log(`\nEnd to end: ${burst["2xx"]} videos, create → completed with media stored`);
    line("videos stored", `${stored() - e2eBefore} of ${burst["2xx"]}`);
    line("wall time (s)", seconds.toFixed(1));
    line("videos per second", ((stored() - e2eBefore) / seconds).toFixed(0));

    // 3. Reads of one video.
    // The count is taken before the create: a video stored before its answer arrives must not be waited for again.
    const readTarget = stored() + 1;
    const created = (await (await fetch(request.url, request)).json()) as { id: string };
    await quiescence(readTarget);
    const reads = await autocannon({
      url: `${stack.url}/v1/videos/${created.id}`,
      headers: { authorization: `Bearer ${key}` },
      connections,
      duration: readSeconds,
    });
    console.log(`\nGET /v1/videos/{id}, ${connections} connections × ${readSeconds} s`);
    line("reads per second (mean)", reads.requests.average.toFixed(0));
    line("latency p50 / p99 (ms)", `${reads.latency.p50} / ${reads.latency.p99}`);
    line("non-2xx / errors / timeouts", `${reads.non2xx} / ${reads.errors} / ${reads.timeouts}`);

    console.log("\nPeak RSS per process over the run (MiB)");
    for (const { name } of processes()) line(name, (peaks[name] ?? 0).toFixed(0));
  } finally {
    clearInterval(sampler);
    views.close();
    const pids = new Map(processes().map(({ name, pid }) => [String(pid), name]));
    await stop();
    // Node names a profile CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: name it after its service.
    if (profile)
      for (const file of readdirSync(profileDir).filter((name) => name.endsWith(".cpuprofile"))) {
        const service = pids.get(file.split(".")[3] ?? "");
        if (!service) continue;
        renameSync(join(profileDir, file), join(profileDir, `${service}.cpuprofile`));
        summarize(join(profileDir, `${service}.cpuprofile`));
      }
  }

  // 4. The poller holding jobs in flight (the simulator never finishes them).
  if (inFlightJobs > 0) await runPollerInFlight(inFlightJobs, profile ? profileDir : undefined);
  console.log(
    `\nload average after: ${(await import("node:os"))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  if (profile) console.log(`profiles in ${profileDir}`);
};

if (import.meta.url === `file://${process.argv[1]}`) await runTable();
