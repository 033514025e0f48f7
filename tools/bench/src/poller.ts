import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import { natsNames } from "@reelgate/contracts";
import {
  freePort,
  httpOk,
  nodeEnvOf,
  nodeFlagsOf,
  portAccepts,
  startProcess,
  stopProcess,
  waitUntil,
} from "@reelgate/launcher";
import { cpuSeconds, peakRssMiB, rssMiB } from "./cpu.ts";
import { stopOnInterrupt } from "./interrupt.ts";

/**
 * `npm run bench:poller` (also run by `npm run bench`): one poller process following N jobs at
 * once against a simulator whose jobs take 1 s. VideoRequested and FundsReserved are published
 * straight to JetStream (as ingress and billing would), so only the poller is measured. Prints
 * figures; asserts nothing.
 */
const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
const sizes = (process.env.BENCH_POLLER_JOBS ?? "1000,10000").split(",").filter(Boolean).map(Number);

/** One channel of `provider` on the simulator, serving the bench's `sora-2` jobs; openai is the built-in simulator channel. */
const channelsFileFor = (provider: string, dataDir: string, simulator: string) => {
  if (provider === "openai") return "";
  const file = join(dataDir, "channels.yaml");
  const shapes: Record<string, string> = {
    gemini: `base_url: ${simulator}/c/bench/v1beta\n    api_key: bench`,
    kling: `base_url: ${simulator}/c/bench/kling\n    api_key: bench\n    api_secret: secret-bench`,
    dashscope: `base_url: ${simulator}/c/bench/dashscope/api/v1\n    api_key: bench`,
    ark: `base_url: ${simulator}/c/bench/ark/api/v3\n    api_key: bench`,
    vertex: `base_url: ${simulator}/c/bench/vertex/v1\n    key_file: ${join(dataDir, "sa.json")}\n    project: bench\n    location: us-central1`,
  };
  if (provider === "vertex") {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(
      join(dataDir, "sa.json"),
      JSON.stringify({
        client_email: "bench@sim.iam.gserviceaccount.com",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        token_uri: `${simulator}/oauth2/token`,
      }),
    );
  }
  const model =
    provider === "kling"
      ? "kling-v2-master"
      : provider === "dashscope"
        ? "wan2.5-t2v-preview"
        : "veo-3.1-generate-preview";
  writeFileSync(
    file,
    `channels:\n  - id: bench\n    provider: ${provider}\n    ${shapes[provider]}\n    models: { sora-2: ${model} }\n`,
  );
  return file;
};

/**
 * `hold`: the simulator never finishes a job; once every job is submitted the poller's RSS is sampled
 * for `holdMs` (poll rounds included) and the run ends, with a heap snapshot in `snapshotDir` if given.
 */
const runOnce = async (
  jobs: number,
  jobMs: number,
  provider = "openai",
  hold?: { holdMs: number; snapshotDir?: string },
) => {
  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-bench-poller-"));
  const quiet = { env: process.env, cwd: repoRoot, onLine: () => undefined };
  const natsPort = await freePort();
  const nats = startProcess(
    "nats-server",
    "nats-server",
    ["-js", "-a", "127.0.0.1", "-p", String(natsPort), "-sd", join(dataDir, "nats")],
    quiet,
  );
  await waitUntil("nats-server", () => portAccepts(natsPort), nats);
  const simPort = await freePort();
  const simulator = startProcess("simulator", process.execPath, [join(repoRoot, "tools/simulator/src/main.ts")], {
    ...quiet,
    env: { ...process.env, PORT: String(simPort), SIM_JOB_DURATION_MS: String(jobMs) },
  });
  await waitUntil("simulator", () => portAccepts(simPort), simulator);
  const pollerPort = await freePort();
  const namespace = "bench";
  const pollerArgs = [...nodeFlagsOf("poller"), join(repoRoot, "services/poller/src/main.ts")];
  const poller = startProcess("poller", process.execPath, pollerArgs, {
    ...quiet,
    env: {
      ...nodeEnvOf("poller"),
      ...process.env,
      PORT: String(pollerPort),
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      REELGATE_DATA_DIR: dataDir,
      REELGATE_SIMULATOR_URL: `http://127.0.0.1:${simPort}/v1`,
      REELGATE_NAMESPACE: namespace,
      REELGATE_CHANNELS_FILE: channelsFileFor(provider, dataDir, `http://127.0.0.1:${simPort}`),
      LOG_LEVEL: "error",
      ...(hold?.snapshotDir
        ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${hold.snapshotDir}` }
        : {}),
    },
  });
  /** Stops the three processes and removes the scratch folder: at the end, or on Ctrl-C (see interrupt.ts). */
  const stopAll = async () => {
    for (const child of [poller, simulator, nats]) await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const takeHandlersOff = stopOnInterrupt(stopAll);
  await waitUntil("poller", () => httpOk(`http://127.0.0.1:${pollerPort}/readyz`), poller);

  const names = natsNames(namespace);
  const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
  const js = jetstream(nc);
  const submitted = new Set<string>();
  const ended = new Set<string>();
  let peakFollowed = 0;
  // The stretch when every job is submitted and none has ended yet: all of them followed at once.
  const steady: { startedAt?: number; cpuAtStart?: number; endedAt?: number; cpuAtEnd?: number } = {};
  const watch = (type: string, into: Set<string>) =>
    nc.subscribe(names.eventSubject("job", type), {
      callback: (_error, message) => {
        into.add(message.json<{ data: { videoId: string } }>().data.videoId);
        peakFollowed = Math.max(peakFollowed, submitted.size - ended.size);
        if (submitted.size === jobs && ended.size === 0 && steady.startedAt === undefined) {
          steady.startedAt = performance.now();
          steady.cpuAtStart = cpuSeconds(poller.child.pid);
        }
        if (ended.size > 0 && steady.startedAt !== undefined && steady.endedAt === undefined) {
          steady.endedAt = performance.now();
          steady.cpuAtEnd = cpuSeconds(poller.child.pid);
        }
      },
    });
  const subscriptions = [watch("JobSubmitted", submitted), watch("JobCompleted", ended), watch("JobFailed", ended)];

  const envelope = (type: string, stream: string, videoId: string, data: object) => {
    const id = `evt_${type}_${videoId}`;
    const h = headers();
    h.set("Nats-Msg-Id", id);
    const body = {
      id,
      type,
      schemaVersion: 1,
      stream,
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: videoId,
      causationId: null,
      accountId: "acct_bench",
      data,
    };
    return { body: JSON.stringify(body), headers: h };
  };
  const cpuBefore = cpuSeconds(poller.child.pid) ?? 0;
  const started = performance.now();
  for (let from = 0; from < jobs; from += 500) {
    const batch = [];
    for (let index = from; index < Math.min(jobs, from + 500); index++) {
      const videoId = `video_bench${String(index).padStart(8, "0")}`;
      const requested = envelope("VideoRequested", `task-${videoId}`, videoId, {
        videoId,
        accountId: "acct_bench",
        model: "sora-2",
        // Kling makes 5 or 10 s only.
        seconds: provider === "kling" ? "5" : "4",
        size: "720x1280",
        prompt: "bench",
        quoteMicros: 400_000,
        remixedFromVideoId: null,
        inputReference: null,
        createdAt: Math.floor(Date.now() / 1000),
      });
      const funded = envelope("FundsReserved", "account-acct_bench", videoId, {
        videoId,
        amountMicros: 400_000,
        balanceMicros: 0,
        reservedMicros: 0,
      });
      batch.push(
        js.publish(names.eventSubject("task", "VideoRequested"), requested.body, { headers: requested.headers }),
      );
      batch.push(js.publish(names.eventSubject("account", "FundsReserved"), funded.body, { headers: funded.headers }));
    }
    await Promise.all(batch);
  }
  /** A heap snapshot of the poller into --diagnostic-dir; resolves with its path once its size stops growing. */
  const snapshot = async (dir: string) => {
    const before = new Set(readdirSync(dir));
    poller.child.kill("SIGUSR2");
    const snapshotDeadline = Date.now() + 180_000;
    let written: string | undefined;
    for (let size = -1; Date.now() < snapshotDeadline; ) {
      await new Promise((done) => setTimeout(done, 1000));
      written = readdirSync(dir).find((name) => name.endsWith(".heapsnapshot") && !before.has(name));
      const now = written ? statSync(join(dir, written)).size : -1;
      if (now > 0 && now === size) break;
      size = now;
    }
    return written ? join(dir, written) : "not written";
  };
  if (hold) {
    const holdDeadline = Date.now() + 10 * 60_000;
    // With a snapshot dir, one more snapshot mid-burst (half the jobs submitted): what the burst holds.
    let midBurst: string | undefined;
    while (submitted.size < jobs && Date.now() < holdDeadline) {
      await new Promise((done) => setTimeout(done, 200));
      if (hold.snapshotDir && midBurst === undefined && submitted.size >= jobs / 2) {
        const rss = rssMiB(poller.child.pid) ?? 0;
        midBurst = `${await snapshot(hold.snapshotDir)} (RSS ${rss.toFixed(0)} MiB)`;
      }
    }
    const submittedAfter = (performance.now() - started) / 1000;
    let peak = rssMiB(poller.child.pid) ?? 0;
    const until = Date.now() + hold.holdMs;
    while (Date.now() < until) {
      await new Promise((done) => setTimeout(done, 100));
      peak = Math.max(peak, rssMiB(poller.child.pid) ?? 0);
    }
    console.log(`\nPoller: ${jobs} jobs in flight (the simulator holds them unfinished), one poller process`);
    const say = (label: string, value: string) => console.log(`  ${label.padEnd(42)} ${value}`);
    say("jobs submitted", `${submitted.size} of ${jobs} in ${submittedAfter.toFixed(1)} s`);
    say(
      `RSS over ${hold.holdMs / 1000} s with all in flight`,
      `now ${rssMiB(poller.child.pid)?.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`,
    );
    say("peak RSS since start (VmHWM)", `${peakRssMiB(poller.child.pid)?.toFixed(0)} MiB`);
    if (hold.snapshotDir) {
      say("heap snapshot mid-burst", midBurst ?? "not taken");
      say("heap snapshot", await snapshot(hold.snapshotDir));
    }
    for (const subscription of subscriptions) subscription.unsubscribe();
    await nc.close();
    takeHandlersOff();
    await stopAll();
    return;
  }
  const deadline = Date.now() + 15 * 60_000;
  while (ended.size < jobs && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  const seconds = (performance.now() - started) / 1000;
  const cpu = (cpuSeconds(poller.child.pid) ?? 0) - cpuBefore;
  const rss = peakRssMiB(poller.child.pid);
  const requests = (await (await fetch(`http://127.0.0.1:${simPort}/_control/requests`)).json()) as Array<{
    path: string;
    method: string;
  }>;
  const tokens = requests.filter((request) => request.path === "/oauth2/token").length;
  const submits = requests.filter(
    (request) =>
      request.method === "POST" && request.path !== "/oauth2/token" && !/fetchPredictOperation/.test(request.path),
  ).length;
  const polls = requests.length - submits - tokens;

  console.log(
    `\nPoller (${provider}): ${jobs} jobs injected at once, simulator jobs take ${jobMs / 1000} s, one poller process`,
  );
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(42)} ${value}`);
  line("jobs ended", `${ended.size} of ${jobs}`);
  line("wall time (s)", seconds.toFixed(1));
  line("jobs per second, funded to ended", (ended.size / seconds).toFixed(0));
  line("peak jobs followed at once", String(peakFollowed));
  line("poller CPU", `${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)}% of one core)`);
  line("poller peak RSS", `${rss?.toFixed(0) ?? "?"} MiB`);
  if (steady.startedAt !== undefined && steady.endedAt !== undefined) {
    const window = (steady.endedAt - steady.startedAt) / 1000;
    const used = (steady.cpuAtEnd ?? 0) - (steady.cpuAtStart ?? 0);
    line(
      `CPU while all ${jobs} were followed at once`,
      `${((used / window) * 100).toFixed(0)}% of one core over ${window.toFixed(1)} s`,
    );
  }
  line(
    "upstream requests per completed video",
    `${(requests.length / Math.max(1, ended.size)).toFixed(2)} (${submits} submits, ${polls} polls${tokens ? `, ${tokens} token requests` : ""})`,
  );
  line("poller CPU per video (ms)", ((cpu * 1000) / Math.max(1, ended.size)).toFixed(2));

  for (const subscription of subscriptions) subscription.unsubscribe();
  await nc.close();
  takeHandlersOff();
  await stopAll();
};

/** Jobs of 1 s (as asked), and long enough that every job is in flight at once (the submits take a while). */
const jobLengths = (process.env.BENCH_POLLER_JOB_MS ?? "1000,40000").split(",").filter(Boolean).map(Number);

/**
 * Per provider (issue 11): 1,000 jobs of 60 s each through one channel of each provider's shape, each at
 * its own poll pace (Veo: 10 s). `BENCH_POLLER_PROVIDERS=` (empty) skips it.
 */
const providerRuns = (process.env.BENCH_POLLER_PROVIDERS ?? "openai,gemini,vertex,kling,dashscope,ark")
  .split(",")
  .filter(Boolean);
const providerJobs = Number(process.env.BENCH_POLLER_PROVIDER_JOBS ?? 1000);
const providerJobMs = Number(process.env.BENCH_POLLER_PROVIDER_JOB_MS ?? 60_000);

export const runPollerBench = async () => {
  for (const jobMs of jobLengths) for (const jobs of sizes) await runOnce(jobs, jobMs);
  for (const provider of providerRuns) await runOnce(providerJobs, providerJobMs, provider);
};

/** The poller's memory with `jobs` in flight at once (issue 14: ≤ 200 MiB for 10,000). */
export const runPollerInFlight = (jobs: number, snapshotDir?: string) =>
  runOnce(jobs, 3_600_000, "openai", { holdMs: Number(process.env.BENCH_INFLIGHT_HOLD_MS ?? 15_000), snapshotDir });

if (import.meta.url === `file://${process.argv[1]}`) await runPollerBench();
