import { jetstreamManager, type MsgRequest, type StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import { type DeadLetter, replayDeadLetter, type StoredDeadLetter } from "./dead-letter.ts";

/**
 * What operators do with dead letters, shared by `reelgate dead-letters` and ingress's admin API: page
 * through them, pick some, replay them. Reads by sequence from the stream (STREAM.MSG.GET), so nothing
 * is consumed and no consumer is left behind.
 */

export interface DeadLetterSelection {
  /** Only this service's dead letters (every service's without). */
  service?: string | undefined;
  /** Only these dead letters, by their sequence in the dead-letter stream (every one without). */
  sequences?: number[] | undefined;
}

/** A service name as it may appear in a subject: one token, no wildcard. */
export const isServiceName = (service: string) => /^[A-Za-z0-9_-]+$/.test(service);

const filterOf = (names: NatsNames, service?: string) =>
  service ? names.deadLetterSubject(service) : names.deadLetterWildcard;

const storedOf = (names: NatsNames, msg: StoredMsg): StoredDeadLetter => ({
  ...msg.json<DeadLetter>(),
  deadSequence: msg.seq,
  service: msg.subject.slice(names.deadLetterSubject("").length),
  deadAt: msg.time.toISOString(),
});

/** The first dead letter (of the service, or of any) at or after `seq`; null when there is none. */
const nextFrom = async (nc: NatsConnection, names: NatsNames, seq: number, service?: string) => {
  const jsm = await jetstreamManager(nc);
  // nats-server ≥ 2.9 answers `next_by_subj` on STREAM.MSG.GET; the client types it for direct gets only.
  const query = { seq, next_by_subj: filterOf(names, service) } as unknown as MsgRequest;
  const msg = await jsm.streams.getMessage(names.deadLetterStream, query);
  return msg && storedOf(names, msg);
};

/** Up to `limit` dead letters after sequence `after` (0: from the first), oldest first, and whether more follow. */
export const deadLetterPage = async (
  nc: NatsConnection,
  names: NatsNames,
  page: { service?: string | undefined; after?: number | undefined; limit: number },
): Promise<{ letters: StoredDeadLetter[]; hasMore: boolean }> => {
  const letters: StoredDeadLetter[] = [];
  let seq = (page.after ?? 0) + 1;
  // One more than asked: whether another page follows.
  while (letters.length <= page.limit) {
    const letter = await nextFrom(nc, names, seq, page.service);
    if (!letter) break;
    letters.push(letter);
    seq = letter.deadSequence + 1;
  }
  return { letters: letters.slice(0, page.limit), hasMore: letters.length > page.limit };
};

/** The given sequences' dead letters that exist (and belong to the service, if one is given), by sequence. */
const bySequence = async (nc: NatsConnection, names: NatsNames, sequences: number[], service?: string) => {
  const letters: StoredDeadLetter[] = [];
  for (const seq of [...new Set(sequences)].sort((a, b) => a - b)) {
    const letter = await nextFrom(nc, names, seq, service);
    if (letter?.deadSequence === seq) letters.push(letter);
  }
  return letters;
};

/** Every selected dead letter, oldest first (reading removes nothing); `onRead` sees each as it is read. */
export const selectDeadLetters = async (
  nc: NatsConnection,
  names: NatsNames,
  selection: DeadLetterSelection = {},
  onRead: (letter: StoredDeadLetter) => void = () => {},
): Promise<StoredDeadLetter[]> => {
  if (selection.sequences) {
    const letters = await bySequence(nc, names, selection.sequences, selection.service);
    letters.forEach(onRead);
    return letters;
  }
  const letters: StoredDeadLetter[] = [];
  let after = 0;
  for (;;) {
    const page = await deadLetterPage(nc, names, { service: selection.service, after, limit: 500 });
    page.letters.forEach(onRead);
    letters.push(...page.letters);
    const last = page.letters.at(-1);
    if (!page.hasMore || !last) return letters;
    after = last.deadSequence;
  }
};

export interface ReplayOptions {
  /** Only letters this allows are replayed (the rest stay); every selected one without. */
  may?: (letter: StoredDeadLetter) => boolean;
  /** Sees each letter once replayed. */
  onReplayed?: (letter: StoredDeadLetter) => void;
  /** Sees the letters selected, before the first is replayed. */
  onSelected?: (letters: StoredDeadLetter[]) => void;
}

/**
 * Republishes each selected dead letter on its original subject and removes it from the dead letters
 * (a letter that fails again is dead-lettered again, with a new sequence). Answers the letters replayed
 * and those selected but not allowed.
 */
export const replayDeadLetters = async (
  nc: NatsConnection,
  names: NatsNames,
  selection: DeadLetterSelection = {},
  options: ReplayOptions = {},
): Promise<{ replayed: StoredDeadLetter[]; refused: StoredDeadLetter[] }> => {
  const letters = await selectDeadLetters(nc, names, selection);
  const may = options.may ?? (() => true);
  const allowed = letters.filter(may);
  options.onSelected?.(allowed);
  for (const letter of allowed) {
    await replayDeadLetter(nc, names, letter);
    options.onReplayed?.(letter);
  }
  return { replayed: allowed, refused: letters.filter((letter) => !may(letter)) };
};

/** What an operator needs to decide about a letter, without the whole payload (a poison payload may be anything). */
export const describeDeadLetter = (letter: StoredDeadLetter) => {
  let event: { type?: unknown; id?: unknown; correlationId?: unknown; data?: { videoId?: unknown } } = {};
  try {
    event = JSON.parse(letter.payload) as typeof event;
  } catch {
    // Not JSON: shown as it is, below.
  }
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  const correlationId = text(event?.correlationId);
  const videoId = text(event?.data?.videoId) ?? (correlationId?.startsWith("video_") ? correlationId : null);
  return {
    seq: letter.deadSequence,
    service: letter.service,
    consumer: letter.consumer,
    deadAt: letter.deadAt,
    subject: letter.subject,
    eventType: text(event?.type),
    eventId: text(event?.id),
    correlationId,
    videoId,
    deliveryCount: letter.deliveryCount,
    reason: letter.reason,
    ...(typeof event?.type !== "string" ? { payload: letter.payload.slice(0, 500) } : {}),
  };
};
