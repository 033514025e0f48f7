import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { videoCollection } from "@reelgate/ingress";
import { png } from "@reelgate/simulator";
import autocannon from "autocannon";
import { cpuSeconds, phasePeakRss } from "./cpu.ts";
import { startBenchPlatform } from "./platform.ts";
import { runPollerBench } from "./poller.ts";
import { runStorageBench } from "./storage.ts";

/**
 * `npm run bench`: creates per second and latency of POST /v1/videos over loopback, and videos
 * per second carried end to end from create to stored. Prints figures; asserts nothing.
 */
const createSeconds = Number(process.env.BENCH_CREATE_SECONDS ?? 10);
const endToEndVideos = Number(process.env.BENCH_E2E_VIDEOS ?? 2000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

const { stack, key, dataDir, stop } = await startBenchPlatform();
// Read afresh each time: a restarted service has a new pid.
const processes = () => [...stack.processes.entries()].map(([name, managed]) => ({ name, pid: managed.child.pid }));
const cpuSnapshot = () => Object.fromEntries(processes().map(({ name, pid }) => [name, cpuSeconds(pid) ?? 0]));
/** Starts measuring every process's peak RSS over one phase (not since it started); `stop()` gives them by name. */
const phasePeaks = () => {
  const trackers = processes().map(({ name, pid }) => [name, phasePeakRss(pid)] as const);
  return { stop: () => Object.fromEntries(trackers.map(([name, tracker]) => [name, tracker.stop()])) };
};
const body = JSON.stringify({ model: "sora-2", prompt: "a bench of videos", seconds: "4", size: "720x1280" });
const request = {
  url: `${stack.url}/v1/videos`,
  method: "POST" as const,
  headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
  body,
};

const report = (title: string, lines: Array<[string, string]>) => {
  console.log(`\n${title}`);
  for (const [label, value] of lines) console.log(`  ${label.padEnd(34)} ${value}`);
};
const cpuReport = (
  before: Record<string, number>,
  after: Record<string, number>,
  seconds: number,
  peaks: Record<string, number | undefined>,
): Array<[string, string]> =>
  processes().map(({ name }) => [
    `${name} CPU`,
    `${((((after[name] ?? 0) - (before[name] ?? 0)) / seconds) * 100).toFixed(0)}% of one core, peak RSS in this phase ${peaks[name]?.toFixed(0) ?? "?"} MiB`,
  ]);

try {
  // 1. Creates with only ingress running (billing, poller and storage stopped): what the API itself costs.
  await autocannon({ ...request, connections: 4, duration: 2 }); // warm-up: JIT, SQLite pages, connections
  for (const service of ["billing", "poller", "storage"] as const) await stack.stopService(service);
  const alonePeaks = phasePeaks();
  const aloneBefore = cpuSnapshot();
  const alone = await autocannon({ ...request, connections, duration: createSeconds });
  report(`POST /v1/videos, JSON, ${connections} connections, ${createSeconds} s, ingress alone (downstream stopped)`, [
    ["creates per second (mean)", alone.requests.average.toFixed(0)],
    ["latency p50 / p99 (ms)", `${alone.latency.p50} / ${alone.latency.p99}`],
    ["non-2xx / errors / timeouts", `${alone.non2xx} / ${alone.errors} / ${alone.timeouts}`],
    ...cpuReport(aloneBefore, cpuSnapshot(), createSeconds, alonePeaks.stop()).filter(([label]) =>
      /ingress|nats/.test(label),
    ),
  ]);
  // The stopped services catch up on the backlog from the outbox and their durable consumers.
  for (const service of ["billing", "poller", "storage"] as const) await stack.startService(service);
  const views = openSqliteDocumentStore(join(dataDir, "ingress.views.db"));
  const videos = await views.collection<{ id: string; assets: { video?: { stored: unknown } } }>(
    "videos",
    videoCollection,
  );
  const backlogStarted = performance.now();
  const backlog = await settledCount(videos);
  report("Catching up: the stopped services work through the backlog of the first run", [
    ["videos stored", String(backlog)],
    ["seconds", ((performance.now() - backlogStarted) / 1000).toFixed(1)],
  ]);

  // 1b. The same with the whole pipeline reacting to every create on the same two cores.
  const pipelinePeaks = phasePeaks();
  const before = cpuSnapshot();
  const creates = await autocannon({ ...request, connections, duration: createSeconds });
  const after = cpuSnapshot();
  const pipelinePeak = pipelinePeaks.stop();
  report(`POST /v1/videos, JSON, ${connections} connections, ${createSeconds} s, whole pipeline running`, [
    ["creates per second (mean)", creates.requests.average.toFixed(0)],
    ["latency p50 / p99 (ms)", `${creates.latency.p50} / ${creates.latency.p99}`],
    ["non-2xx / errors / timeouts", `${creates.non2xx} / ${creates.errors} / ${creates.timeouts}`],
    ...cpuReport(before, after, createSeconds, pipelinePeak),
  ]);

  // 2. Multipart creates carrying a 1 MiB image (the OpenAI SDK's form), and ingress's memory meanwhile.
  // After the JSON run's videos are through, so this phase does not share the two cores with their backlog.
  await settledCount(videos);
  const form = new FormData();
  for (const [name, value] of Object.entries({
    model: "sora-2",
    prompt: "animate this",
    seconds: "4",
    size: "720x1280",
  }))
    form.set(name, value);
  form.set("input_reference", new Blob([oneMiBPng()], { type: "image/png" }), "frame.png");
  const encoded = new Response(form);
  const multipartBody = Buffer.from(await encoded.arrayBuffer());
  // Its own peak: VmHWM is reset here, so the JSON runs above do not count.
  const multipartPeaks = phasePeaks();
  const multipartBefore = cpuSnapshot();
  const multipart = await autocannon({
    ...request,
    headers: { authorization: `Bearer ${key}`, "content-type": encoded.headers.get("content-type") ?? "" },
    body: multipartBody,
    connections: 8,
    duration: createSeconds,
  });
  report(`POST /v1/videos, multipart with a 1 MiB image, 8 connections, ${createSeconds} s`, [
    ["creates per second (mean)", multipart.requests.average.toFixed(0)],
    ["latency p50 / p99 (ms)", `${multipart.latency.p50} / ${multipart.latency.p99}`],
    ["non-2xx / errors / timeouts", `${multipart.non2xx} / ${multipart.errors} / ${multipart.timeouts}`],
    ...cpuReport(multipartBefore, cpuSnapshot(), createSeconds, multipartPeaks.stop()).filter(([label]) =>
      label.startsWith("ingress"),
    ),
  ]);

  // 3. End to end: a burst of creates, timed until every one is stored.
  // Let the earlier phases' videos finish, so this one times only its own.
  const storedBefore = await settledCount(videos);
  const started = performance.now();
  const endToEndPeaks = phasePeaks();
  const cpuStart = cpuSnapshot();
  const burst = await autocannon({ ...request, connections, amount: endToEndVideos });
  const target = storedBefore + burst["2xx"];
  let stored = storedBefore;
  const deadline = Date.now() + 600_000;
  while (stored < target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    stored = await countStored(videos);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuEnd = cpuSnapshot();
  const endToEndPeak = endToEndPeaks.stop();
  report(`End to end: ${burst["2xx"]} videos from create to stored (simulator completes at once)`, [
    ["videos stored", `${stored - storedBefore} of ${burst["2xx"]}`],
    ["wall time (s)", seconds.toFixed(1)],
    ["videos per second, create to stored", ((stored - storedBefore) / seconds).toFixed(0)],
    ...cpuReport(cpuStart, cpuEnd, seconds, endToEndPeak),
  ]);
  await views.close();
} finally {
  await stop();
}

// 4. Media copies: throughput and storage's memory against video size, on file storage and S3.
if (process.env.BENCH_STORAGE !== "0") await runStorageBench();

// 5. The poller alone: jobs followed at once by one process, its CPU and memory, upstream requests per video.
if (process.env.BENCH_POLLER !== "0") await runPollerBench();

/** A whole PNG of noise (which deflate cannot shrink), 592x592 pixels: about 1 MiB. */
function oneMiBPng() {
  const noise = randomBytes(592 * 592 * 3);
  return png(592, 592, (x, y) => [...noise.subarray((y * 592 + x) * 3, (y * 592 + x) * 3 + 3)]);
}

/** Waits until the stored count stops moving for a second, and returns it. */
async function settledCount(videos: { all(): AsyncIterable<{ assets: { video?: { stored: unknown } } }> }) {
  let previous = -1;
  for (let count = await countStored(videos); count !== previous; count = await countStored(videos)) {
    previous = count;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return previous;
}

async function countStored(videos: { all(): AsyncIterable<{ assets: { video?: { stored: unknown } } }> }) {
  let count = 0;
  for await (const video of videos.all()) if (video.assets.video?.stored) count++;
  return count;
}
