import type { DomainEvent, Envelope } from "@reelgate/contracts";
import { type AppendResult, ConcurrencyError, type EventStore, EventTooLargeError } from "@reelgate/event-store";
import { type EventMeta, toNewEvents } from "./envelopes.ts";
import { keyedQueue } from "./keyed-queue.ts";
import { shrinkEvent } from "./shrink-event.ts";

/** A decider: the one shape of a stream's rules (testkit's `deciderSpec` runs given/when/then specs over it). */
export interface Aggregate<State, Command, Event extends DomainEvent> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

export interface Decision<State> {
  events: Envelope[];
  state: State;
  version: number;
  /** The same commit was appended before: nothing new was written. */
  duplicate: boolean;
}

const MAX_ATTEMPTS = 20;

/** Where an aggregate's states are kept every so many events, so loading a long stream reads only its tail. */
export interface SnapshotStore<State> {
  load(stream: string): Promise<{ state: State; version: number } | undefined>;
  save(stream: string, snapshot: { state: State; version: number }): Promise<void>;
}

/**
 * Loads an aggregate's stream, decides, and appends with the version it decided on; on a
 * conflict (another process wrote first) it reloads and decides again. Within a process, commands
 * on one stream run one at a time. States are cached by stream and version, so a hot stream reads
 * only the events it has not seen (one process's snapshot in memory). With a snapshot store, a
 * stream not in the cache starts from its last snapshot, and a snapshot is saved whenever the
 * stream has moved `snapshotEvery` events past the last one: a cold load reads at most that many.
 */
export const aggregateRepository = <State, Command, Event extends DomainEvent>(
  store: EventStore,
  aggregate: Aggregate<State, Command, Event>,
  {
    cacheSize = 10_000,
    snapshots,
    snapshotEvery = 100,
  }: { cacheSize?: number; snapshots?: SnapshotStore<State>; snapshotEvery?: number } = {},
) => {
  const cache = new Map<string, { state: State; version: number; snapshotVersion: number }>();

  const keep = (stream: string, state: State, version: number, snapshotVersion: number) => {
    cache.delete(stream);
    cache.set(stream, { state, version, snapshotVersion });
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  /** Caches the state; a promise only when a snapshot is due (the cache is set once it is saved, as before). */
  const remember = (stream: string, state: State, version: number, snapshotVersion: number) => {
    if (snapshots && version - snapshotVersion >= snapshotEvery)
      return snapshots.save(stream, { state, version }).then(() => keep(stream, state, version, version));
    keep(stream, state, version, snapshotVersion);
    return undefined;
  };

  /** A stream not in the cache: from its last snapshot, or from the start. */
  const coldStart = async (stream: string) => {
    const snapshot = await snapshots?.load(stream);
    return snapshot
      ? { ...snapshot, snapshotVersion: snapshot.version }
      : { state: aggregate.initialState(), version: 0, snapshotVersion: 0 };
  };

  const read = async (stream: string, forAppend: boolean): Promise<{ state: State; version: number }> => {
    // A cached stream starts without a promise of its own: most reads of a hot stream end at the store's head check.
    const start = cache.get(stream) ?? (await coldStart(stream));
    const events = await store.readStream(stream, start.version, undefined, { forAppend });
    if (events.length === 0) return start;
    const state = events.reduce((current, event) => aggregate.evolve(current, event as unknown as Event), start.state);
    const version = events.at(-1)!.version;
    await remember(stream, state, version, start.snapshotVersion);
    return { state, version };
  };

  /** The stream's state as it is now (what a query answers). */
  const load = (stream: string) => read(stream, false);

  /**
   * The state to decide on. Read `forAppend` (possibly a turn old: see the event store's ReadStreamOptions)
   * when the decision is to append, which the expected version checks; a decision to do nothing, or a
   * refusal, is not checked by any append, so it is made again on the state as it is now.
   */
  const decideOn = async (stream: string, command: Command) => {
    const relaxed = await read(stream, true);
    try {
      const decided = aggregate.decide(command, relaxed.state);
      if (decided.length > 0) return { ...relaxed, decided };
    } catch {
      // Decided again below, on the exact state: a refusal it makes is the one that counts.
    }
    const exact = await load(stream);
    return { ...exact, decided: aggregate.decide(command, exact.state) };
  };

  const serially = keyedQueue();

  /** Commands that arrived for a stream while an earlier one ran there: taken together by the next run. */
  const waiting = new Map<string, Waiting[]>();
  interface Waiting {
    command: Command;
    meta: EventMeta;
    resolve: (decision: Decision<State>) => void;
    reject: (error: unknown) => void;
  }

  const execute = (stream: string, command: Command, meta: EventMeta): Promise<Decision<State>> => {
    if (!store.chainsAppends) return serially(stream, () => decideAndAppend(stream, command, meta));
    return new Promise((resolve, reject) => {
      const queued = waiting.get(stream);
      if (queued) {
        queued.push({ command, meta, resolve, reject });
        return;
      }
      waiting.set(stream, [{ command, meta, resolve, reject }]);
      void serially(stream, () => runWaiting(stream));
    });
  };

  /**
   * Every command waiting on the stream, in arrival order. Those deciding to append are decided each on the
   * state the ones before leave, and their appends queued at once, each after the one before
   * (`afterCommitId`): the store commits them in one transaction, and one commits only if the one before did.
   * From the first that does not commit as decided (a conflict, a repeat, a failure), and from the first
   * deciding nothing or refusing, each runs alone as before, on a fresh read.
   */
  const runWaiting = async (stream: string) => {
    const queued = waiting.get(stream) ?? [];
    waiting.delete(stream);
    const answered = new Set<Waiting>();
    if (queued.length > 1) {
      // A failure of the chain itself (the read, a snapshot) leaves the unanswered to run alone; a command whose
      // append did commit is then answered as a repeat (its commit id appends nothing).
      await chain(stream, queued, answered).catch(() => undefined);
    }
    for (const item of queued) {
      if (answered.has(item)) continue;
      await decideAndAppend(stream, item.command, item.meta).then(item.resolve, item.reject);
    }
  };

  /** Chains the appends of `queued` from the first on, and answers each that committed as decided. */
  const chain = async (stream: string, queued: Waiting[], answered: Set<Waiting>) => {
    const start = await read(stream, true);
    let { state, version } = start;
    let after: string | undefined;
    const appended: { item: Waiting; result: Promise<AppendResult>; state: State; version: number }[] = [];
    for (const item of queued) {
      let decided: Event[];
      try {
        decided = aggregate.decide(item.command, state);
      } catch {
        break;
      }
      if (decided.length === 0) break;
      const options = {
        expectedVersion: version,
        commitId: item.meta.commitId,
        ...(after ? { afterCommitId: after } : {}),
      };
      const result = store.append(stream, toNewEvents(decided, item.meta), options);
      // Settled below; a rejection here is read there.
      result.catch(() => undefined);
      state = decided.reduce(aggregate.evolve, state);
      version += decided.length;
      after = item.meta.commitId;
      appended.push({ item, result, state, version });
    }
    for (const { item, result, state: next, version: nextVersion } of appended) {
      const outcome = await result.then(
        (value) => value,
        () => undefined,
      );
      if (!outcome || outcome.duplicate || outcome.nextVersion !== nextVersion) {
        // What follows the last commit that went through is read again by whoever runs next.
        cache.delete(stream);
        return;
      }
      answered.add(item);
      await remember(stream, next, nextVersion, cache.get(stream)?.snapshotVersion ?? start.version);
      item.resolve({ events: outcome.events, state: next, version: nextVersion, duplicate: false });
    }
  };

  const decideAndAppend = async (stream: string, command: Command, meta: EventMeta): Promise<Decision<State>> => {
    for (let attempt = 1; ; attempt++) {
      const { state, version, decided: first } = await decideOn(stream, command);
      let decided = first;
      if (decided.length === 0) return { events: [], state, version, duplicate: false };
      const append = () =>
        store.append(stream, toNewEvents(decided, meta), { expectedVersion: version, commitId: meta.commitId });
      try {
        const result = await append().catch((error: unknown) => {
          // Too large for the bus (an upstream's endless message, say): record it with its long strings cut.
          if (!(error instanceof EventTooLargeError)) throw error;
          decided = decided.map(shrinkEvent);
          return append();
        });
        if (result.duplicate)
          return {
            events: result.events,
            state: (await load(stream)).state,
            version: result.nextVersion,
            duplicate: true,
          };
        const next = decided.reduce(aggregate.evolve, state);
        await remember(stream, next, result.nextVersion, cache.get(stream)?.snapshotVersion ?? version);
        return { events: result.events, state: next, version: result.nextVersion, duplicate: false };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        cache.delete(stream);
      }
    }
  };

  return { load, execute };
};
