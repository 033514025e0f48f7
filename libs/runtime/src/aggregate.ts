import type { DomainEvent, Envelope } from "@reelgate/contracts";
import { ConcurrencyError, type EventStore, EventTooLargeError } from "@reelgate/event-store";
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

  const remember = async (stream: string, state: State, version: number, snapshotVersion: number) => {
    let snapshotted = snapshotVersion;
    if (snapshots && version - snapshotVersion >= snapshotEvery) {
      await snapshots.save(stream, { state, version });
      snapshotted = version;
    }
    cache.delete(stream);
    cache.set(stream, { state, version, snapshotVersion: snapshotted });
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  const startingPoint = async (stream: string) => {
    const cached = cache.get(stream);
    if (cached) return cached;
    const snapshot = await snapshots?.load(stream);
    return snapshot
      ? { ...snapshot, snapshotVersion: snapshot.version }
      : { state: aggregate.initialState(), version: 0, snapshotVersion: 0 };
  };

  const read = async (stream: string, forAppend: boolean): Promise<{ state: State; version: number }> => {
    const start = await startingPoint(stream);
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

  const execute = (stream: string, command: Command, meta: EventMeta): Promise<Decision<State>> =>
    serially(stream, () => decideAndAppend(stream, command, meta));

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
