import { appendFileSync } from "node:fs";
import { testNats } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { type ChaosOptions, formatReport, runChaos } from "./chaos.ts";

// Only to learn whether nats-server is installed: the chaos run starts (and kills) its own.
const nats = testNats();

/**
 * The short form (about 2 minutes, run by `npm test`) unless CHAOS_LONG=1: 1,000 videos, 20+ kills,
 * for docs/reliability.md. CHAOS_SEED replays a schedule; CHAOS_REPORT_FILE appends each report as JSON.
 */
const long = process.env.CHAOS_LONG === "1";
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const options: ChaosOptions = long
  ? {
      seed,
      videos: 1_000,
      accounts: 20,
      createsPerSecond: 10,
      faultEveryMs: [2_000, 4_000],
      stopMs: [1_000, 3_000],
      quiescenceMs: 300_000,
      simulatorJobMs: 1_000,
    }
  : {
      seed,
      videos: 300,
      accounts: 5,
      createsPerSecond: 4,
      faultEveryMs: [1_500, 3_500],
      stopMs: [1_000, 3_000],
      quiescenceMs: 120_000,
      simulatorJobMs: 500,
    };

describe.skipIf(!nats.url)(`chaos (${long ? "long" : "short"} form)`, () => {
  it(`every accepted create ends, each charged once and exactly, with zero dead letters (seed ${seed})`, async () => {
    console.log(`[chaos] seed ${seed} (replay with CHAOS_SEED=${seed})`);
    const report = await runChaos({ ...options, log: (line) => console.log(`[chaos] ${line}`) });
    console.log(`[chaos]\n${formatReport(report)}`);
    if (process.env.CHAOS_REPORT_FILE) appendFileSync(process.env.CHAOS_REPORT_FILE, `${JSON.stringify(report)}\n`);
    expect(report.accepted).toBeGreaterThan(options.videos / 2);
    expect(Object.values(report.kills).reduce((sum, kills) => sum + kills, 0)).toBeGreaterThanOrEqual(long ? 20 : 10);
    expect(report.problems, formatReport(report)).toEqual([]);
  }, 1_800_000);
});
