/**
 * The chaos run: many videos across several accounts while a seeded random schedule SIGKILLs and
 * SIGSTOPs every service and nats-server, and the upstream answers 5xx/429 for stretches; then the
 * checks that nothing ended stuck, lost or charged twice. The same seed gives the same schedule.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { natsNames } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { waitFor } from "@reelgate/testkit";
import { connectToNats, type Platform, startPlatform, waitForConsumersIdle } from "./platform.ts";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

export const targets = ["ingress", "billing", "poller", "storage", "nats-server"] as const;
type Target = (typeof targets)[number];

export interface ChaosOptions {
  seed: number;
  videos: number;
  accounts: number;
  /** Creates started per second. */
  createsPerSecond: number;
  /** A fault (kill or stop) every this many ms, picked at random in the range. */
  faultEveryMs: [number, number];
  /** How long a SIGSTOP lasts. */
  stopMs: [number, number];
  /** After the last create, how long every accepted video has to end. */
  quiescenceMs: number;
  simulatorJobMs: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  videos: number;
  accepted: number;
  completed: number;
  failed: number;
  /** Creates given up on after retrying (never accepted). */
  abandoned: number;
  kills: Record<Target, number>;
  stops: Record<Target, number>;
  restarts: Record<Target, number>;
  upstreamFaults: number;
  /** The answers that were not a 200 during the chaos, by status ("network" for no answer). */
  refused: Record<string, number>;
  /** From the last create's answer to every accepted video ended and every consumer caught up. */
  quiescenceMs: number;
  /** Videos with more than one upstream job, and the extra jobs. */
  duplicateUpstreamJobs: number;
  /** Exits nobody caused (no SIGKILL of the schedule's): a service that crashed on its own. */
  unplannedExits: string[];
  problems: string[];
}

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed. */
export const seededRandom = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const PRICE_MICROS = 400_000; // sora-2, 4 s at $0.10 a second
const micros = (usd: string) => {
  const [whole = "0", fraction = ""] = usd.split(".");
  const sign = whole.startsWith("-") ? -1 : 1;
  return sign * (Math.abs(Number(whole)) * 1_000_000 + Number(fraction.padEnd(6, "0").slice(0, 6)));
};
const between = (random: () => number, [low, high]: [number, number]) => low + Math.floor(random() * (high - low));
const zeroes = () => Object.fromEntries(targets.map((target) => [target, 0])) as Record<Target, number>;

export const runChaos = async (options: ChaosOptions): Promise<ChaosReport> => {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  // Its own nats-server (an empty URL makes the launcher start one): nats-server is a target too.
  const exits: string[] = [];
  const platform = await startPlatform("", {
    supervise: { initialDelayMs: 200, maxDelayMs: 2_000, maxCrashes: 1_000 },
    // Every exit the schedule did not cause is a finding: keep what the process said last.
    onSupervisor: (event) => {
      if (event.kind !== "exited" || event.exit.signal === "SIGKILL") return;
      const last = event.tail.split("\n").slice(-3).join(" | ");
      exits.push(`${event.name} exited with ${event.exit.signal ?? `code ${event.exit.code}`}: ${last.slice(-600)}`);
    },
    simulatorJobMs: options.simulatorJobMs,
  });
  try {
    const report = await chaos(platform, options, random, log);
    report.unplannedExits = exits;
    return report;
  } finally {
    await platform.stop();
  }
};

async function chaos(
  platform: Platform,
  options: ChaosOptions,
  random: () => number,
  log: (line: string) => void,
): Promise<ChaosReport> {
  const report: ChaosReport = {
    seed: options.seed,
    videos: options.videos,
    accepted: 0,
    completed: 0,
    failed: 0,
    abandoned: 0,
    kills: zeroes(),
    stops: zeroes(),
    restarts: zeroes(),
    upstreamFaults: 0,
    refused: {},
    quiescenceMs: 0,
    duplicateUpstreamJobs: 0,
    unplannedExits: [],
    problems: [],
  };

  // Accounts: the first one has credit for a few videos only (its later creates are refused, 402).
  const accounts = [];
  for (let index = 0; index < options.accounts; index++) {
    const credit = index === 0 ? "2" : "1000";
    accounts.push({ ...(await platform.account(credit)), creditMicros: micros(credit) });
  }

  // The schedule runs until the creates are done. Process faults are dealt from a shuffled deck that
  // SIGKILLs every target twice and SIGSTOPs it once per round, so every one is hit; upstream faults
  // (5xx/429 stretches) come on their own clock.
  let creating = true;
  const stopped = new Set<number>();
  const deck: { target: Target; action: "kill" | "stop" }[] = [];
  const deal = () => {
    if (deck.length === 0) {
      for (const target of targets)
        deck.push({ target, action: "kill" }, { target, action: "kill" }, { target, action: "stop" });
      for (let index = deck.length - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        [deck[index], deck[other]] = [deck[other]!, deck[index]!];
      }
    }
    return deck.pop()!;
  };
  const processFaults = (async () => {
    while (creating) {
      await sleep(between(random, options.faultEveryMs));
      if (!creating) break;
      const { target, action } = deal();
      const ms = between(random, options.stopMs);
      const child = platform.processes.get(target)?.child;
      const pid = child?.pid;
      if (!pid || !child || child.exitCode !== null || child.signalCode !== null) continue; // down already
      if (action === "kill") {
        log(`SIGKILL ${target} (pid ${pid})`);
        report.kills[target]++;
        process.kill(pid, "SIGKILL");
      } else {
        log(`SIGSTOP ${target} (pid ${pid}) for ${ms} ms`);
        report.stops[target]++;
        process.kill(pid, "SIGSTOP");
        stopped.add(pid);
        void sleep(ms).then(() => {
          stopped.delete(pid);
          try {
            process.kill(pid, "SIGCONT");
          } catch {}
        });
      }
    }
  })();
  const upstreamRandom = seededRandom(options.seed ^ 0x5eed);
  const upstreamFaults = (async () => {
    while (creating) {
      await sleep(between(upstreamRandom, [3_000, 8_000]));
      if (!creating) break;
      await upstreamFault(platform, upstreamRandom);
      report.upstreamFaults++;
    }
  })();
  const faults = Promise.all([processFaults, upstreamFaults]);

  // The creates: each keyed, retried with its key until an answer that settles it.
  const created: { id: string; account: (typeof accounts)[number]; fails: boolean }[] = [];
  const creates: Promise<void>[] = [];
  for (let index = 0; index < options.videos; index++) {
    const account = accounts[Math.floor(random() * accounts.length)]!;
    const fails = random() < 0.1;
    const key = `chaos-${options.seed}-${index}`;
    creates.push(
      createVideo(platform.url, account.key, key, `chaos ${index}${fails ? " [fail]" : ""}`, report).then((id) => {
        if (id) created.push({ id, account, fails });
      }),
    );
    await sleep(1000 / options.createsPerSecond);
  }
  await Promise.all(creates);
  creating = false;
  await faults;
  await waitFor("every SIGSTOPped process to run again", () => stopped.size === 0, { timeoutMs: 30_000 });
  await platform.simulator("/_control/faults", { method: "DELETE" });
  report.accepted = created.length;
  log(`${created.length} creates accepted; waiting for every video to end`);

  // Quiescence: every accepted create ends, completed or failed.
  const started = Date.now();
  const ends = new Map<string, string>();
  const neverEnded = await waitFor(
    "every accepted video to be completed or failed",
    async () => {
      const pending = created.filter((video) => !ends.has(video.id));
      await Promise.all(
        pending.slice(0, 50).map(async (video) => {
          const response = await fetch(`${platform.url}/v1/videos/${video.id}`, {
            headers: { authorization: `Bearer ${video.account.key}` },
            signal: AbortSignal.timeout(5_000),
          }).catch(() => undefined);
          if (!response?.ok) return;
          const { status } = (await response.json()) as { status: string };
          if (status === "completed" || status === "failed") ends.set(video.id, status);
        }),
      );
      return ends.size === created.length;
    },
    { timeoutMs: options.quiescenceMs, intervalMs: 500 },
  ).catch((error: Error) => {
    const stuck = created.filter((video) => !ends.has(video.id)).map((video) => video.id);
    report.problems.push(`${stuck.length} videos never ended (${error.message}): ${stuck.slice(0, 10).join(", ")}`);
    return stuck;
  });
  // What each service recorded of a video that never ended, so a failed run can be read without a replay.
  if (Array.isArray(neverEnded))
    for (const videoId of neverEnded.slice(0, 3)) report.problems.push(await eventsOfVideo(platform, videoId));
  // Then every consumer has caught up: a message held by a process that was killed comes back only after
  // its ack_wait, while the video's other events may already have ended it.
  await waitForConsumersIdle(platform, options.quiescenceMs).catch((error: Error) => {
    report.problems.push(`the consumers never caught up: ${error.message}`);
  });
  report.quiescenceMs = Date.now() - started;
  for (const video of created) {
    const end = ends.get(video.id);
    if (end === "completed") report.completed++;
    if (end === "failed") report.failed++;
    if (end === "completed" && video.fails) report.problems.push(`${video.id} completed though its upstream job fails`);
  }
  for (const target of targets) report.restarts[target] = platform.restarts(target);

  await checkLedger(platform, accounts, created, ends, report);
  await checkDeadLetters(platform, report);
  await checkCli(platform, report);
  await countDuplicates(platform, created, report);
  return report;
}

/** One keyed create, retried with the same key through crashes; its id, or undefined when refused for good. */
async function createVideo(url: string, apiKey: string, key: string, prompt: string, report: ChaosReport) {
  // Long enough to outlast a crashed keyed create's in-use window (60 s) and a few more crashes.
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    let status: string;
    try {
      const response = await fetch(`${url}/v1/videos`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ model: "sora-2", prompt, seconds: "4", size: "720x1280" }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json().catch(() => ({}))) as { id?: string };
      if (response.status === 200 && body.id) return body.id;
      status = String(response.status);
      report.refused[status] = (report.refused[status] ?? 0) + 1;
      if (response.status === 402) return undefined; // out of credit: the answer, not a fault
    } catch {
      status = "network";
      report.refused[status] = (report.refused[status] ?? 0) + 1;
    }
    await sleep(250 + Math.random() * 750);
  }
  report.abandoned++;
  return undefined;
}

async function upstreamFault(platform: Platform, random: () => number) {
  const count = 3 + Math.floor(random() * 10);
  const fault =
    random() < 0.5
      ? { submit: { status: random() < 0.5 ? 503 : 429, count, retryAfterSeconds: 1 } }
      : { status: { status: 500, count } };
  await platform
    .simulator("/_control/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(fault),
    })
    .catch(() => undefined);
}

/** The events each service's store holds for a video (its task, job and asset streams). */
async function eventsOfVideo(platform: Platform, videoId: string): Promise<string> {
  const streams: Array<[string, string]> = [
    ["ingress", `task-${videoId}`],
    ["poller", `job-${videoId}`],
    ["storage", `asset-${videoId}`],
  ];
  const parts: string[] = [];
  for (const [service, stream] of streams) {
    const store = openSqliteEventStore(join(platform.dataDir, `${service}.events.db`));
    try {
      const events = await store.readStream(stream, 0);
      // The job's and the asset's events with their data (cut short): which try, channel, status and message.
      const shown = (event: (typeof events)[number]) =>
        service === "ingress" ? event.type : `${event.type} ${JSON.stringify(event.data).slice(0, 200)}`;
      parts.push(`${stream}: ${events.map(shown).join("; ") || "(none)"}`);
    } catch (error) {
      parts.push(`${stream}: unreadable (${(error as Error).message})`);
    } finally {
      await store.close();
    }
  }
  return `events of ${videoId}: ${parts.join(" | ")}`;
}

/** Balances to the micro-dollar, nothing reserved, one capture per completed video and none for a failed one. */
async function checkLedger(
  platform: Platform,
  accounts: { accountId: string; creditMicros: number }[],
  created: { id: string; account: { accountId: string } }[],
  ends: Map<string, string>,
  report: ChaosReport,
) {
  for (const account of accounts) {
    const completed = created.filter(
      (video) => video.account.accountId === account.accountId && ends.get(video.id) === "completed",
    ).length;
    const expected = account.creditMicros - completed * PRICE_MICROS;
    // The balance view follows billing's events: give it a moment after the last one.
    const balance = await waitFor(
      `account ${account.accountId} to settle`,
      async () => {
        const view = await platform.balance(account.accountId);
        return micros(view.reserved_usd) === 0 && micros(view.balance_usd) === expected ? view : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch(() => undefined);
    if (!balance) {
      const view = await platform.balance(account.accountId);
      report.problems.push(
        `account ${account.accountId}: balance ${view.balance_usd} (expected ${(expected / 1e6).toFixed(6)}), reserved ${view.reserved_usd}`,
      );
    }
  }
  const captures = new Map<string, number>();
  const store = openSqliteEventStore(join(platform.dataDir, "billing.events.db"));
  try {
    for await (const event of store.readAll()) {
      if (event.type !== "ReservationCaptured") continue;
      const videoId = (event.data as { videoId: string }).videoId;
      captures.set(videoId, (captures.get(videoId) ?? 0) + 1);
    }
  } finally {
    await store.close();
  }
  for (const video of created) {
    const wanted = ends.get(video.id) === "completed" ? 1 : 0;
    const got = captures.get(video.id) ?? 0;
    if (got !== wanted) report.problems.push(`${video.id} (${ends.get(video.id)}): ${got} captures`);
  }
  // A charge for a video the client never got an id for: its create was accepted but never answered 200.
  const known = new Set(created.map((video) => video.id));
  for (const videoId of captures.keys())
    if (!known.has(videoId)) report.problems.push(`${videoId} was charged, but its create never answered 200`);
}

async function checkDeadLetters(platform: Platform, report: ChaosReport) {
  const nc = await connectToNats(platform);
  try {
    const jsm = await jetstreamManager(nc);
    const stream = natsNames(platform.namespace).deadLetterStream;
    const messages = await jsm.streams.info(stream).then(
      (info) => info.state.messages,
      () => 0, // never created: nothing was ever dead-lettered
    );
    if (messages > 0) report.problems.push(`${messages} dead letters in ${stream}`);
    // What each was: the consumer, the event's subject, how often it was tried and why it was given up.
    for (let seq = 1; seq <= Math.min(messages, 5); seq++) {
      const letter = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (!letter) continue;
      const { reason, consumer, subject, deliveryCount, payload } = letter.json<{
        reason: string;
        consumer: string;
        subject: string;
        deliveryCount: number;
        payload: string;
      }>();
      const videoId = /"videoId":"([^"]+)"/.exec(payload)?.[1];
      report.problems.push(
        `  dead letter: ${consumer} gave up on ${subject} (video ${videoId}) after ${deliveryCount} deliveries: ${reason.slice(0, 300)}`,
      );
    }
  } finally {
    await nc.close();
  }
}

async function checkCli(platform: Platform, report: ChaosReport) {
  for (const args of [
    ["ledger", "verify", "--quiet"],
    ["verify", "--quiet"],
  ]) {
    const outcome = await run(process.execPath, [join(repoRoot, "tools/cli/src/main.ts"), ...args], {
      env: { ...process.env, REELGATE_DATA_DIR: platform.dataDir, REELGATE_NAMESPACE: platform.namespace },
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      () => undefined,
      (failed: { code: number; stdout: string }) => `exit ${failed.code}: ${failed.stdout.slice(-2_000)}`,
    );
    if (outcome) report.problems.push(`reelgate ${args.join(" ")}: ${outcome}`);
  }
}

async function countDuplicates(platform: Platform, created: { id: string }[], report: ChaosReport) {
  const requests =
    await platform.simulator<{ method: string; headers: Record<string, string>; responseId?: string }[]>(
      "/_control/requests",
    );
  const jobsByKey = new Map<string, Set<string>>();
  for (const request of requests) {
    const key = request.headers["idempotency-key"];
    if (request.method !== "POST" || !key || !request.responseId) continue;
    jobsByKey.set(key, (jobsByKey.get(key) ?? new Set()).add(request.responseId));
  }
  for (const video of created) report.duplicateUpstreamJobs += Math.max(0, (jobsByKey.get(video.id)?.size ?? 0) - 1);
}

/** One line per figure, for the log and docs/reliability.md. */
export const formatReport = (report: ChaosReport) =>
  [
    `seed ${report.seed} (replay: CHAOS_SEED=${report.seed})`,
    `videos ${report.videos}: ${report.accepted} accepted, ${report.completed} completed, ${report.failed} failed, ${report.abandoned} abandoned`,
    `kills ${JSON.stringify(report.kills)}`,
    `stops ${JSON.stringify(report.stops)}`,
    `restarts ${JSON.stringify(report.restarts)}`,
    `upstream fault stretches ${report.upstreamFaults}`,
    `creates refused (by status) ${JSON.stringify(report.refused)}`,
    `time to quiescence ${(report.quiescenceMs / 1000).toFixed(1)} s`,
    `duplicate upstream jobs ${report.duplicateUpstreamJobs}`,
    `unplanned exits ${report.unplannedExits.length}${report.unplannedExits.length ? `:\n  ${report.unplannedExits.join("\n  ")}` : ""}`,
    `problems ${report.problems.length}${report.problems.length ? `:\n  ${report.problems.join("\n  ")}` : ""}`,
  ].join("\n");
