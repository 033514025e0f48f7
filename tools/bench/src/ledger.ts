import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type AccountEvent,
  type AccountState,
  accountSnapshot,
  evolveAccount,
  initialAccount,
  ledger,
} from "@reelgate/billing";
import { ledgerEvents, replayBalances, verifyLedgerEvents } from "@reelgate/cli";
import { builtInCatalog, eventTypes, type NewEvent, type TypedEnvelope } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { type EventStore, MAX_EVENTS_PER_COMMIT, openSqliteEventStore } from "@reelgate/event-store";
import { documentSnapshots } from "@reelgate/runtime";
import { testEnvelope } from "@reelgate/testkit";

/**
 * `npm run bench:ledger` (also run by `npm run bench`): billing's ledger on the embedded SQLite
 * event store, in this process, no NATS: (a) reservations per second through the real
 * `onVideoRequested` handler, on one hot account and across many; (b) the auditors' replay and
 * verify folds over a million billing events; (c) the first reserve on an account with a long
 * history, cold, with and without snapshots. Prints figures; asserts nothing.
 */
const reservations = Number(process.env.BENCH_LEDGER_RESERVATIONS ?? 20_000);
const concurrency = Number(process.env.BENCH_LEDGER_CONCURRENCY ?? 64);
const spreadAccounts = Number(process.env.BENCH_LEDGER_ACCOUNTS ?? 1000);
const replayEvents = Number(process.env.BENCH_LEDGER_REPLAY_EVENTS ?? 1_000_000);
const historyEvents = Number(process.env.BENCH_LEDGER_HISTORY_EVENTS ?? 1_000_000);

const QUOTE = 400_000;
const line = (label: string, value: string) => console.log(`  ${label.padEnd(44)} ${value}`);
const seconds = (since: number) => (performance.now() - since) / 1000;
const rate = (count: number, secs: number) => `${Math.round(count / secs).toLocaleString("en-US")}/s`;

const withTempDir = async <T>(prefix: string, body: (dir: string) => Promise<T>) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const billingOn = async (store: EventStore, dir: string, withSnapshots = true) => {
  const documents = openSqliteDocumentStore(join(dir, "billing.views.db"));
  const snapshots = withSnapshots
    ? await documentSnapshots(documents, "account_snapshots", accountSnapshot)
    : undefined;
  const billing = ledger({
    store,
    catalog: builtInCatalog,
    now: () => new Date(),
    onAppended: () => undefined,
    snapshots,
  });
  return { billing, documents };
};

let videoSeq = 0;
/** A VideoRequested as ingress would publish it. */
const videoRequested = (accountId: string) => {
  const videoId = `video_bench${(++videoSeq).toString(16).padStart(12, "0")}`;
  const data = {
    videoId,
    accountId,
    model: "sora-2",
    seconds: "4",
    size: "720x1280",
    prompt: "a bench of reservations",
    quoteMicros: QUOTE,
    remixedFromVideoId: null,
    inputReference: null,
    createdAt: Date.now(),
  };
  return testEnvelope("VideoRequested", data, {
    stream: `task-${videoId}`,
    accountId,
    id: `evt_req_${videoId}`,
  }) as TypedEnvelope & { type: "VideoRequested" };
};

/** Runs `work(i)` for i < count with at most `limit` in flight. */
const pool = async (count: number, limit: number, work: (i: number) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
};

// (a) ------------------------------------------------------------------------------------------
const benchReservations = async (label: string, accounts: number) =>
  withTempDir("reelgate-bench-ledger-", async (dir) => {
    const store = openSqliteEventStore(join(dir, "billing.events.db"));
    const { billing, documents } = await billingOn(store, dir);
    try {
      const ids = Array.from({ length: accounts }, (_, i) => `acct_bench${i}`);
      for (const accountId of ids)
        await billing.openAccount({
          accountId,
          name: accountId,
          creditsMicros: Math.ceil(reservations / accounts) * QUOTE,
          commandId: `open-${accountId}`,
        });
      const requests = Array.from({ length: reservations }, (_, i) => videoRequested(ids[i % accounts]!));
      const started = performance.now();
      await pool(reservations, concurrency, (i) => billing.onVideoRequested(requests[i]!));
      const secs = seconds(started);
      let reserved = 0;
      for await (const event of store.readAll({ category: "account" })) if (event.type === "FundsReserved") reserved++;
      line(label, `${rate(reservations, secs)}  (${reservations} in ${secs.toFixed(2)} s, ${reserved} reserved)`);
    } finally {
      await documents.close();
      await store.close();
    }
  });

// (b) ------------------------------------------------------------------------------------------
/** Correct account events, generated without the decider (fast): opened, credited, then reserve/capture pairs. */
const syntheticHistory = function* (accountId: string, count: number, startVersion = 0) {
  let balanceMicros = 0;
  let reservedMicros = 0;
  let open: string | undefined;
  for (let version = startVersion + 1; version <= startVersion + count; version++) {
    let event: AccountEvent;
    if (version === 1)
      event = { type: "AccountOpened", data: { accountId, name: accountId, balanceMicros, reservedMicros } };
    else if (version === 2) {
      balanceMicros = 1e12;
      event = {
        type: "FundsCredited",
        data: { amountMicros: 1e12, reference: "opening", balanceMicros, reservedMicros },
      };
    } else if (open === undefined) {
      open = `video_${accountId}_${version}`;
      reservedMicros += QUOTE;
      event = { type: "FundsReserved", data: { videoId: open, amountMicros: QUOTE, balanceMicros, reservedMicros } };
    } else {
      balanceMicros -= QUOTE;
      reservedMicros -= QUOTE;
      event = {
        type: "ReservationCaptured",
        data: {
          videoId: open,
          quotedMicros: QUOTE,
          amountMicros: QUOTE,
          model: "sora-2",
          seconds: "4",
          size: "720x1280",
          balanceMicros,
          reservedMicros,
        },
      };
      open = undefined;
    }
    yield {
      id: `evt_${accountId}_${version}`,
      type: event.type,
      schemaVersion: eventTypes[event.type].schemaVersion,
      occurredAt: "2026-01-01T00:00:00.000Z",
      correlationId: "videoId" in event.data ? event.data.videoId : accountId,
      causationId: null,
      accountId,
      data: event.data,
    } satisfies NewEvent;
  }
};

/** Appends `perAccount` events to each account, in interleaved commits of `commitSize` events. */
const generate = async (store: EventStore, accountIds: string[], perAccount: number, commitSize: number) => {
  const generators = accountIds.map((id) => syntheticHistory(id, perAccount));
  const versions = new Map(accountIds.map((id) => [id, 0]));
  for (let done = false; !done; ) {
    done = true;
    for (const [index, accountId] of accountIds.entries()) {
      const batch: NewEvent[] = [];
      for (let n = 0; n < commitSize; n++) {
        const next = generators[index]!.next();
        if (next.done) break;
        batch.push(next.value);
      }
      if (batch.length === 0) continue;
      done = false;
      const expectedVersion = versions.get(accountId)!;
      await store.append(`account-${accountId}`, batch, { expectedVersion });
      versions.set(accountId, expectedVersion + batch.length);
    }
  }
};

const benchReplay = async () =>
  withTempDir("reelgate-bench-replay-", async (dir) => {
    const store = openSqliteEventStore(join(dir, "billing.events.db"));
    try {
      const accounts = 1000;
      const ids = Array.from({ length: accounts }, (_, i) => `acct_r${i}`);
      const started = performance.now();
      await generate(store, ids, Math.ceil(replayEvents / accounts), 100);
      const total = await store.countAll({ category: "account" });
      line("generated (store.append, 100-event commits)", `${total} events in ${seconds(started).toFixed(1)} s`);
      const reading = performance.now();
      let read = 0;
      for await (const _event of ledgerEvents(store)) read++;
      const readSeconds = seconds(reading);
      line("reading the events alone (readAll)", `${rate(read, readSeconds)}  (${readSeconds.toFixed(2)} s)`);
      const replay = await replayBalances(ledgerEvents(store));
      line(
        "ledger replay fold (applyToTotals)",
        `${rate(replay.events, replay.seconds)}  (${replay.events} events, ${replay.balances.size} accounts, ${replay.seconds.toFixed(2)} s)`,
      );
      const views = [...replay.balances.values()];
      const verify = await verifyLedgerEvents(ledgerEvents(store), { views });
      line(
        "ledger verify fold (parse + evolve + checks)",
        `${rate(verify.events, verify.seconds)}  (${verify.seconds.toFixed(2)} s, ${verify.mismatches} mismatches)`,
      );
    } finally {
      await store.close();
    }
  });

// (c) ------------------------------------------------------------------------------------------
const benchColdReserve = async () =>
  withTempDir("reelgate-bench-cold-", async (dir) => {
    const path = join(dir, "billing.events.db");
    const accountId = "acct_long";
    const generating = openSqliteEventStore(path);
    const started = performance.now();
    await generate(generating, [accountId], historyEvents, MAX_EVENTS_PER_COMMIT);
    await generating.close();
    line(`history of ${accountId}`, `${historyEvents} events (generated in ${seconds(started).toFixed(1)} s)`);

    /** One reserve from new process state: a fresh store connection and a fresh ledger (empty cache). */
    const coldReserve = async (withSnapshots: boolean) => {
      const store = openSqliteEventStore(path);
      const { billing, documents } = await billingOn(store, dir, withSnapshots);
      try {
        const first = performance.now();
        await billing.onVideoRequested(videoRequested(accountId));
        const firstMs = performance.now() - first;
        const second = performance.now();
        await billing.onVideoRequested(videoRequested(accountId));
        return { firstMs, secondMs: performance.now() - second };
      } finally {
        await documents.close();
        await store.close();
      }
    };

    const without = await coldReserve(false);
    line(
      "first reserve, cold, no snapshot store",
      `${without.firstMs.toFixed(1)} ms (next: ${without.secondMs.toFixed(2)} ms)`,
    );
    // The first load with a snapshot store reads the history once and saves a snapshot (as billing does).
    const priming = await coldReserve(true);
    line("first reserve, cold, no snapshot saved yet", `${priming.firstMs.toFixed(1)} ms (saves the snapshot)`);
    const withSnapshot = await coldReserve(true);
    line(
      "first reserve, cold, from the snapshot",
      `${withSnapshot.firstMs.toFixed(1)} ms (next: ${withSnapshot.secondMs.toFixed(2)} ms)`,
    );
    // For scale: folding the whole history in memory, as a cold load without a snapshot must.
    const store = openSqliteEventStore(path);
    try {
      const fold = performance.now();
      const events = await store.readStream(`account-${accountId}`);
      let state: AccountState = initialAccount();
      for (const event of events) state = evolveAccount(state, event as unknown as AccountEvent);
      line("read + fold of that history alone", `${seconds(fold).toFixed(2)} s (${events.length} events)`);
    } finally {
      await store.close();
    }
  });

export const runLedgerBench = async () => {
  const total = performance.now();
  console.log(`\nBilling ledger, embedded SQLite event store, in process (concurrency ${concurrency})`);
  await benchReservations("reservations/s, one hot account", 1);
  await benchReservations(`reservations/s, across ${spreadAccounts} accounts`, spreadAccounts);
  console.log(`\nLedger replay and verify over ${replayEvents.toLocaleString("en-US")} billing events (1000 accounts)`);
  await benchReplay();
  console.log(`\nFirst reserve on an account with ${historyEvents.toLocaleString("en-US")} events, cold`);
  await benchColdReserve();
  console.log(`\nledger bench: ${seconds(total).toFixed(0)} s in all`);
};

// `npm run bench:ledger` runs this file alone; `npm run bench` runs it after the other figures.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runLedgerBench();
