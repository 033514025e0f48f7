import type { Envelope, NewEvent } from "@reelgate/contracts";
import {
  EventTooLargeError,
  MAX_EVENT_BYTES,
  type OutboxBatch,
  type ReadAllOptions,
  type StoredEvent,
} from "./port.ts";

/**
 * Both adapters store one record per commit; an event's global position is derived from its
 * commit's position and its index in the commit, so positions stay numbers that sort in append order.
 */
export const MAX_EVENTS_PER_COMMIT = 1000;

export const eventPosition = (commitPosition: number, index: number): number =>
  commitPosition * MAX_EVENTS_PER_COMMIT + index;

/** The commit that holds the event at `position` (readAll resumes from that commit). */
export const commitPositionOf = (position: number): number => Math.floor(position / MAX_EVENTS_PER_COMMIT);

/** The stream's category, `task` for `task-123`; lenient (no dash: the whole id) so probes like `health-probe` work. */
export const streamTypeOf = (stream: string): string => {
  const dash = stream.indexOf("-");
  return dash < 0 ? stream : stream.slice(0, dash);
};

/**
 * Each event as JSON, made once: refused, before anything is written, when its envelope would be larger than the
 * bus carries; else what the append stores (`envelopesText`), so no event is serialised twice.
 */
export const eventTexts = (stream: string, events: NewEvent[], limit = MAX_EVENT_BYTES): string[] => {
  // The envelope adds the stream and the version to the event: a generous allowance for both.
  const envelopeBytes = Buffer.byteLength(stream) + 64;
  return events.map((event) => {
    const text = JSON.stringify(event);
    // A UTF-16 code unit is at most 3 bytes of UTF-8: most events are far below the limit without counting.
    if (text.length * 3 + envelopeBytes <= limit) return text;
    const bytes = Buffer.byteLength(text) + envelopeBytes;
    if (bytes > limit) throw new EventTooLargeError(stream, event.type, bytes, limit);
    return text;
  });
};

/** Refuses, before anything is written, an event whose envelope would be larger than the bus carries. */
export const checkEventSizes = (stream: string, events: NewEvent[], limit = MAX_EVENT_BYTES): void => {
  eventTexts(stream, events, limit);
};

/**
 * `JSON.stringify(toEnvelopes(stream, currentVersion, events))` from the events' own JSON (`eventTexts`): each
 * envelope is its event's object with `stream` and `version` added last, as the spread in `toEnvelopes` makes it.
 */
export const envelopesText = (stream: string, currentVersion: number, texts: string[]): string => {
  const streamText = JSON.stringify(stream);
  const envelopes = texts.map(
    (text, index) =>
      `${text === "{}" ? "{" : `${text.slice(0, -1)},`}"stream":${streamText},"version":${currentVersion + index + 1}}`,
  );
  return `[${envelopes.join(",")}]`;
};

/** Gives new events their stream and dense versions after `currentVersion`. */
export const toEnvelopes = (stream: string, currentVersion: number, events: NewEvent[]): Envelope[] => {
  if (events.length > MAX_EVENTS_PER_COMMIT) {
    throw new Error(`stream ${stream}: ${events.length} events in one append, at most ${MAX_EVENTS_PER_COMMIT}`);
  }
  if (new Set(events.map((event) => event.id)).size !== events.length) {
    throw new Error(`stream ${stream}: the same event id twice in one append`);
  }
  return events.map((event, index) => ({ ...event, stream, version: currentVersion + index + 1 }));
};

/** A commit's events with their global positions, skipping those at or before `after`. */
export const storedEventsOf = (commitPosition: number, envelopes: Envelope[], after = -1): StoredEvent[] => {
  const stored: StoredEvent[] = [];
  envelopes.forEach((envelope, index) => {
    const position = eventPosition(commitPosition, index);
    if (position > after) stored.push({ ...envelope, position });
  });
  return stored;
};

/**
 * Whole commits, oldest first, up to `limit` events; the first commit is always taken even if it
 * is larger, or a commit bigger than the relay's batch would block the outbox forever.
 */
export const outboxBatchOf = (commits: { position: number; events: Envelope[] }[], limit: number): OutboxBatch => {
  const batch: OutboxBatch = { events: [], refs: [] };
  for (const commit of commits) {
    if (batch.refs.length > 0 && batch.events.length + commit.events.length > limit) break;
    batch.events.push(...storedEventsOf(commit.position, commit.events));
    batch.refs.push(String(commit.position));
  }
  return batch;
};

/** A stored commit as both adapters hand it over: its position and its events. */
export interface CommitRecord {
  position: number;
  events: Envelope[];
}

/** `readStream`'s answer from a stream's commits in version order: the events after `afterVersion`, at most `limit`. */
export const streamEventsOf = (commits: CommitRecord[], afterVersion: number, limit: number): StoredEvent[] =>
  commits
    .flatMap((commit) => storedEventsOf(commit.position, commit.events))
    .filter((event) => event.version > afterVersion)
    .slice(0, limit);

/**
 * `readAll`: every event after `options.after` (of one category if given) in append order, read a page of
 * `batchSize` commits at a time; `page(cursor, batchSize, category)` gives the commits after position `cursor`.
 */
export async function* pagedEvents(
  options: ReadAllOptions,
  page: (cursor: number, batchSize: number, category: string | undefined) => CommitRecord[] | Promise<CommitRecord[]>,
): AsyncIterable<StoredEvent> {
  const { category, after = -1 } = options;
  const batchSize = Math.max(1, options.batchSize ?? 500);
  // Resume inside the commit holding `after`: the rest of that commit is still to be read.
  let cursor = after < 0 ? 0 : commitPositionOf(after) - 1;
  for (;;) {
    const commits = await page(cursor, batchSize, category);
    for (const commit of commits) yield* storedEventsOf(commit.position, commit.events, after);
    if (commits.length < batchSize) return;
    cursor = commits.at(-1)!.position;
  }
}
