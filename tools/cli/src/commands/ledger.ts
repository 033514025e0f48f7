import type { Writable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import {
  type AccountEvent,
  type AccountState,
  type AccountStateJson,
  accountSnapshot,
  applyToTotals,
  evolveAccount,
  initialAccount,
  type Totals,
} from "@reelgate/billing";
import { type Envelope, formatUsd, InvalidEventError, parseEvent, streamId } from "@reelgate/contracts";
import type { Collection, DocumentStore } from "@reelgate/documents";
import type { EventStore, StoredEvent } from "@reelgate/event-store";
import { openViews, type Views } from "@reelgate/ingress";
import { progressBar } from "../progress.ts";

/** Ingress's balance view of one account (services/ingress/src/views/balance-view.ts). */
export type BalanceView = Views["balances"] extends Collection<infer T> ? T : never;

/** Billing's account events: the only types an `account-…` stream may hold. */
const accountEventTypes = new Set<string>([
  "AccountOpened",
  "FundsCredited",
  "FundsAdjusted",
  "FundsReserved",
  "ReservationRejected",
  "ReservationCaptured",
  "ReservationReleased",
]);

/** Where billing keeps its snapshots (services/billing/src/main.ts). */
export const SNAPSHOT_COLLECTION = "account_snapshots";

const ACCOUNT_PREFIX = "account-";
const accountIdOf = (stream: string) => stream.slice(ACCOUNT_PREFIX.length);
const withoutPosition = ({ position: _position, ...envelope }: StoredEvent): Envelope => envelope;
const totalsOf = ({ balanceMicros, reservedMicros }: Totals): Totals => ({ balanceMicros, reservedMicros });
const usd = (totals: Totals) =>
  `balance ${formatUsd(totals.balanceMicros)} reserved ${formatUsd(totals.reservedMicros)}`;

// ---------------------------------------------------------------------------------------------
// export

/** One account's events (its stream, a page at a time) or every account's, in global store order. */
export async function* ledgerEvents(store: EventStore, accountId?: string): AsyncIterable<Envelope> {
  if (accountId === undefined) {
    for await (const stored of store.readAll({ category: "account", batchSize: 100 })) yield withoutPosition(stored);
    return;
  }
  const stream = streamId("account", accountId);
  for (let after = 0; ; ) {
    const page = await store.readStream(stream, after, 1000);
    for (const stored of page) yield withoutPosition(stored);
    if (page.length < 1000) return;
    after = page.at(-1)!.version;
  }
}

/** Writes one JSON line per event to `out`, honouring backpressure; returns how many it wrote. */
export const exportLedger = async (store: EventStore, out: Writable, accountId?: string) => {
  let count = 0;
  let chunk = "";
  const flush = async () => {
    if (chunk === "") return;
    const text = chunk;
    chunk = "";
    if (!out.write(text)) await new Promise((resolve) => out.once("drain", resolve));
  };
  for await (const event of ledgerEvents(store, accountId)) {
    chunk += `${JSON.stringify(event)}\n`;
    count++;
    if (chunk.length >= 64 * 1024) await flush();
  }
  await flush();
  return count;
};

// ---------------------------------------------------------------------------------------------
// replay: the balances, folded from the events with billing's own rule of money

export interface ReplayResult {
  balances: Map<string, BalanceView>;
  events: number;
  seconds: number;
}

/** Folds account events (in store order) into each account's totals with `applyToTotals`. */
export const replayBalances = async (
  events: AsyncIterable<Envelope>,
  onEvent: () => void = () => undefined,
): Promise<ReplayResult> => {
  const started = performance.now();
  const balances = new Map<string, BalanceView>();
  let count = 0;
  for await (const event of events) {
    if (!accountEventTypes.has(event.type))
      throw new Error(`${event.stream} v${event.version}: ${event.type} (${event.id}) is not an account event`);
    const accountId = accountIdOf(event.stream);
    const before = balances.get(accountId) ?? {
      id: accountId,
      name: "",
      version: 0,
      balanceMicros: 0,
      reservedMicros: 0,
    };
    const typed = event as unknown as AccountEvent;
    const after = applyToTotals(before, typed);
    balances.set(accountId, {
      id: accountId,
      name: typed.type === "AccountOpened" ? typed.data.name : before.name,
      version: event.version,
      balanceMicros: after.balanceMicros,
      reservedMicros: after.reservedMicros,
    });
    count++;
    onEvent();
  }
  return { balances, events: count, seconds: (performance.now() - started) / 1000 };
};

/**
 * Rewrites the balance view from the replay: every document becomes the replayed one (unless the
 * live projection has meanwhile moved to a newer account version), and documents of accounts that
 * have no events are removed. The same end state as dropping the collection and writing it anew,
 * without a moment in which ingress sees no balance at all and answers 402.
 */
export const writeBalances = async (balances: Collection<BalanceView>, replayed: Map<string, BalanceView>) => {
  const orphans: string[] = [];
  for await (const doc of balances.all()) if (!replayed.has(doc.id)) orphans.push(doc.id);
  for (const id of orphans) await balances.delete(id);
  for (const doc of replayed.values())
    await balances.update(doc.id, (current) => (current && current.version > doc.version ? undefined : doc));
  return { written: replayed.size, removed: orphans.length };
};

/** `ledger replay`: fold every account event, then rewrite ingress's balance view from the fold. */
export const replayLedger = async (
  store: EventStore,
  balances: Collection<BalanceView>,
  { quiet = false, snapshots }: { quiet?: boolean; snapshots?: Collection<SnapshotDocument> } = {},
) => {
  const bar = progressBar("replay", await store.countAll({ category: "account" }), quiet);
  const result = await replayBalances(ledgerEvents(store), bar.increment);
  bar.stop();
  const written = await writeBalances(balances, result.balances);
  let snapshotsDropped = 0;
  if (snapshots) {
    snapshotsDropped = await snapshots.count();
    await snapshots.clear();
  }
  return { ...result, ...written, snapshotsDropped };
};

// ---------------------------------------------------------------------------------------------
// verify

export interface SnapshotDocument {
  id: string;
  version: number;
  state: AccountStateJson;
}

interface Where {
  accountId: string;
  eventId?: string;
  version?: number;
}

/** One thing the ledger and what is derived from it disagree on; `message` says it in words. */
export type Mismatch = Where & { kind: MismatchKind; message: string } & Record<string, unknown>;
export type MismatchKind =
  /** An event's recorded totals are not what the rule of money gives. */
  | "event-totals"
  /** An event in an account stream that is not a valid account event. */
  | "invalid-event"
  /** Versions of a stream not 1, 2, 3, ... */
  | "version-gap"
  /** A reservation reserved, captured or released out of turn (twice, or never reserved), or settled at an amount other than it held. */
  | "reservation"
  /** A balance-view document not equal to the fold at the view's version, ahead of the ledger, or of an account with no events. */
  | "balance-view"
  /** A snapshot not equal to the fold at its version. */
  | "snapshot";

export interface VerifySummary {
  accounts: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  viewsChecked: number;
  /** Views behind the ledger: not a mismatch (the projection may lag), compared at their own version. */
  viewsLagging: number;
  /** Accounts with events but no balance-view document yet: lag too. */
  accountsNotInView: number;
  snapshotsChecked: number;
  /** Reserved and not yet captured or released: work in flight, not a failure. */
  openReservations: number;
  openReservedMicros: number;
  mismatches: number;
}

interface AccountFold {
  state: AccountState;
  version: number;
  /** Settled reservations by video id, with the event that settled them. */
  settled: Map<string, { type: string; eventId: string }>;
  viewVersion: number | undefined;
  atView: Totals | undefined;
  snapshotVersion: number | undefined;
  atSnapshot: AccountStateJson | undefined;
}

const comparableState = (state: AccountStateJson) => ({
  accountId: state.accountId ?? null,
  name: state.name,
  balanceMicros: state.balanceMicros,
  reservedMicros: state.reservedMicros,
  reservations: [...state.reservations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  references: [...state.references].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
});

/**
 * Folds every account event with billing's own `evolveAccount` (whose totals are `applyToTotals`)
 * and checks, on the way, each event's recorded totals, the turn of every reservation, and the
 * balance views and snapshots at the versions they claim to reflect. Views and snapshots are read
 * before the events, so a live system moving on meanwhile only makes them lag, never differ.
 */
export const verifyLedgerEvents = async (
  events: AsyncIterable<Envelope>,
  {
    views = [],
    snapshots = [],
    onEvent = () => undefined,
    onMismatch = () => undefined,
  }: {
    views?: Iterable<BalanceView>;
    snapshots?: Iterable<SnapshotDocument>;
    onEvent?: () => void;
    onMismatch?: (mismatch: Mismatch) => void;
  } = {},
): Promise<VerifySummary> => {
  const started = performance.now();
  let mismatches = 0;
  const report = (mismatch: Mismatch) => {
    mismatches++;
    onMismatch(mismatch);
  };
  const viewsById = new Map([...views].map((view) => [view.id, view]));
  const snapshotsById = new Map([...snapshots].map((snapshot) => [accountIdOf(snapshot.id), snapshot]));
  const accounts = new Map<string, AccountFold>();
  let count = 0;

  for await (const envelope of events) {
    count++;
    onEvent();
    const accountId = accountIdOf(envelope.stream);
    let account = accounts.get(accountId);
    if (!account) {
      account = {
        state: initialAccount(),
        version: 0,
        settled: new Map(),
        viewVersion: viewsById.get(accountId)?.version,
        atView: undefined,
        snapshotVersion: snapshotsById.get(accountId)?.version,
        atSnapshot: undefined,
      };
      accounts.set(accountId, account);
    }
    const where = { accountId, eventId: envelope.id, version: envelope.version, type: envelope.type };
    if (envelope.version !== account.version + 1)
      report({
        kind: "version-gap",
        ...where,
        expected: account.version + 1,
        message: `${accountId}: event ${envelope.id} has version ${envelope.version}, expected ${account.version + 1}`,
      });
    account.version = envelope.version;

    let event: AccountEvent;
    try {
      if (!accountEventTypes.has(envelope.type)) throw new InvalidEventError(`not an account event: ${envelope.type}`);
      if (envelope.accountId !== accountId)
        throw new InvalidEventError(`names account ${envelope.accountId} in the stream of ${accountId}`);
      event = parseEvent(envelope) as unknown as AccountEvent;
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      report({
        kind: "invalid-event",
        ...where,
        reason: error.message,
        message: `${accountId} v${envelope.version}: event ${envelope.id} is invalid: ${error.message}`,
      });
      continue;
    }

    checkReservationTurn(account, event, where, report);
    account.state = evolveAccount(account.state, event);
    const replayed = totalsOf(account.state);
    const recorded = totalsOf(event.data);
    if (!isDeepStrictEqual(recorded, replayed))
      report({
        kind: "event-totals",
        ...where,
        recorded,
        replayed,
        message: `${accountId} v${envelope.version}: ${envelope.type} ${envelope.id} records ${usd(recorded)}, the events give ${usd(replayed)}`,
      });
    if (account.version === account.viewVersion) account.atView = replayed;
    if (account.version === account.snapshotVersion) account.atSnapshot = accountSnapshot.serialize(account.state);
  }

  // Balance views: each must equal the fold at the account version it names.
  let viewsLagging = 0;
  for (const view of viewsById.values()) {
    const account = accounts.get(view.id);
    const live = totalsOf(view);
    const base = { kind: "balance-view" as const, accountId: view.id, viewVersion: view.version, live };
    if (!account) {
      report({ ...base, message: `balance view of ${view.id} (version ${view.version}): the account has no events` });
    } else if (!account.atView) {
      report({
        ...base,
        ledgerVersion: account.version,
        message: `balance view of ${view.id} claims version ${view.version}, the ledger has ${account.version} events`,
      });
    } else if (!isDeepStrictEqual(live, account.atView)) {
      report({
        ...base,
        replayed: account.atView,
        message: `balance view of ${view.id} at version ${view.version}: ${usd(live)}, the events give ${usd(account.atView)}`,
      });
    } else if (view.version < account.version) viewsLagging++;
  }

  // Snapshots: each must equal the fold at its version, field by field.
  for (const snapshot of snapshotsById.values()) {
    const accountId = accountIdOf(snapshot.id);
    const account = accounts.get(accountId);
    const base = { kind: "snapshot" as const, accountId, snapshotVersion: snapshot.version };
    if (!account?.atSnapshot) {
      report({
        ...base,
        ledgerVersion: account?.version ?? 0,
        message: `snapshot of ${accountId} claims version ${snapshot.version}, the ledger has ${account?.version ?? 0} events`,
      });
      continue;
    }
    const live = comparableState(snapshot.state);
    const replayed = comparableState(account.atSnapshot);
    const fields = (Object.keys(replayed) as Array<keyof typeof replayed>).filter(
      (field) => !isDeepStrictEqual(live[field], replayed[field]),
    );
    if (fields.length > 0)
      report({
        ...base,
        fields,
        live: Object.fromEntries(fields.map((field) => [field, live[field]])),
        replayed: Object.fromEntries(fields.map((field) => [field, replayed[field]])),
        message: `snapshot of ${accountId} at version ${snapshot.version} differs from the events in ${fields.join(", ")}${
          fields.includes("balanceMicros") || fields.includes("reservedMicros")
            ? ` (${usd(snapshot.state)}, the events give ${usd(account.atSnapshot)})`
            : ""
        }`,
      });
  }

  let openReservations = 0;
  let openReservedMicros = 0;
  for (const account of accounts.values()) {
    openReservations += account.state.reservations.size;
    for (const amount of account.state.reservations.values()) openReservedMicros += amount;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    accounts: accounts.size,
    events: count,
    seconds,
    eventsPerSecond: count / Math.max(seconds, 1e-9),
    viewsChecked: viewsById.size,
    viewsLagging,
    accountsNotInView: [...accounts.keys()].filter((id) => !viewsById.has(id)).length,
    snapshotsChecked: snapshotsById.size,
    openReservations,
    openReservedMicros,
    mismatches,
  };
};

/** Every reservation is reserved once, then captured or released once, at the amount it holds. */
const checkReservationTurn = (
  account: AccountFold,
  event: AccountEvent,
  where: Where & { type: string },
  report: (mismatch: Mismatch) => void,
) => {
  if (event.type !== "FundsReserved" && event.type !== "ReservationCaptured" && event.type !== "ReservationReleased")
    return;
  const { videoId } = event.data;
  const open = account.state.reservations.get(videoId);
  const settled = account.settled.get(videoId);
  const problem = (text: string, extra: Record<string, unknown> = {}) =>
    report({
      kind: "reservation",
      ...where,
      videoId,
      problem: text,
      ...extra,
      message: `${where.accountId} v${where.version}: ${where.type} ${where.eventId} of ${videoId}: ${text}`,
    });
  if (event.type === "FundsReserved") {
    if (open !== undefined) problem("reserved twice (the first is still open)");
    else if (settled) problem(`reserved again after ${settled.type} ${settled.eventId}`);
    return;
  }
  const verb = event.type === "ReservationCaptured" ? "captured" : "released";
  if (open === undefined) {
    if (settled) problem(`${verb} after ${settled.type} ${settled.eventId} had already settled it`, { first: settled });
    else problem(`${verb} without being reserved`);
  } else {
    const settledAmount = event.type === "ReservationCaptured" ? event.data.quotedMicros : event.data.amountMicros;
    if (settledAmount !== open)
      problem(`${verb} ${formatUsd(settledAmount)} of a reservation that held ${formatUsd(open)}`, {
        reservedMicros: open,
        settledMicros: settledAmount,
      });
  }
  account.settled.set(videoId, { type: event.type, eventId: where.eventId ?? "" });
};

const collect = async <T>(items: AsyncIterable<T>) => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

/** `ledger verify`: reads the balance view and billing's snapshots, then folds and checks every account event. */
export const verifyLedger = async (
  store: EventStore,
  { ingress, billing }: { ingress: DocumentStore; billing: DocumentStore },
  { quiet = false, onMismatch }: { quiet?: boolean; onMismatch: (mismatch: Mismatch) => void },
) => {
  const { balances } = await openViews(ingress);
  const snapshotCollection = await billing.collection<SnapshotDocument>(SNAPSHOT_COLLECTION, { indexes: [] });
  const views = await collect(balances.all());
  const snapshots = await collect(snapshotCollection.all());
  const bar = progressBar("verify", await store.countAll({ category: "account" }), quiet);
  try {
    return await verifyLedgerEvents(ledgerEvents(store), { views, snapshots, onEvent: bar.increment, onMismatch });
  } finally {
    bar.stop();
  }
};

export const formatVerifySummary = (summary: VerifySummary) =>
  `verified ${summary.events} events of ${summary.accounts} accounts in ${summary.seconds.toFixed(2)} s ` +
  `(${Math.round(summary.eventsPerSecond)} events/s), ${summary.viewsChecked} balance views ` +
  `(${summary.viewsLagging} lagging, ${summary.accountsNotInView} accounts not in the view yet), ` +
  `${summary.snapshotsChecked} snapshots; ${summary.openReservations} open reservations ` +
  `(${formatUsd(summary.openReservedMicros)} USD); ${summary.mismatches} mismatches`;
