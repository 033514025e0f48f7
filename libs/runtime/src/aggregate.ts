import type { DomainEvent, Envelope } from "@reelgate/contracts";
import { ConcurrencyError, type EventStore } from "@reelgate/event-store";
import { type EventMeta, toNewEvents } from "./envelopes.ts";
import { keyedQueue } from "./keyed-queue.ts";

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

/**
 * Loads an aggregate's stream, decides, and appends with the version it decided on; on a
 * conflict (another process wrote first) it reloads and decides again. Within a process, commands
 * on one stream run one at a time. States are cached by stream and version, so a hot stream reads
 * only the events it has not seen (one process's snapshot in memory).
 */
export const aggregateRepository = <State, Command, Event extends DomainEvent>(
  store: EventStore,
  aggregate: Aggregate<State, Command, Event>,
  { cacheSize = 10_000 } = {},
) => {
  const cache = new Map<string, { state: State; version: number }>();

  const remember = (stream: string, entry: { state: State; version: number }) => {
    cache.delete(stream);
    cache.set(stream, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  const load = async (stream: string): Promise<{ state: State; version: number }> => {
    const cached = cache.get(stream) ?? { state: aggregate.initialState(), version: 0 };
    const events = await store.readStream(stream, cached.version);
    if (events.length === 0) return cached;
    const state = events.reduce((current, event) => aggregate.evolve(current, event as unknown as Event), cached.state);
    const loaded = { state, version: events.at(-1)!.version };
    remember(stream, loaded);
    return loaded;
  };

  const serially = keyedQueue();

  const execute = (stream: string, command: Command, meta: EventMeta): Promise<Decision<State>> =>
    serially(stream, () => decideAndAppend(stream, command, meta));

  const decideAndAppend = async (stream: string, command: Command, meta: EventMeta): Promise<Decision<State>> => {
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await load(stream);
      const decided = aggregate.decide(command, state);
      if (decided.length === 0) return { events: [], state, version, duplicate: false };
      try {
        const result = await store.append(stream, toNewEvents(decided, meta), {
          expectedVersion: version,
          commitId: meta.commitId,
        });
        if (result.duplicate)
          return {
            events: result.events,
            state: (await load(stream)).state,
            version: result.nextVersion,
            duplicate: true,
          };
        const next = decided.reduce(aggregate.evolve, state);
        remember(stream, { state: next, version: result.nextVersion });
        return { events: result.events, state: next, version: result.nextVersion, duplicate: false };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        cache.delete(stream);
      }
    }
  };

  return { load, execute };
};
