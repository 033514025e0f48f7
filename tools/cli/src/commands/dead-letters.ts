import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import { countDeadLetters, readDeadLetters, replayDeadLetter, type StoredDeadLetter } from "@reelgate/messaging";
import { progressBar } from "../progress.ts";

export interface DeadLetterSelection {
  /** Only this service's dead letters (every service's without). */
  service?: string | undefined;
  /** Only these dead letters, by their sequence in the dead-letter stream (every one without). */
  sequences?: number[] | undefined;
  quiet?: boolean;
}

/** One line of `dead-letters list`: what an operator needs to decide, without the whole payload. */
export const describeDeadLetter = (letter: StoredDeadLetter) => {
  let event: { type?: unknown; id?: unknown; correlationId?: unknown } = {};
  try {
    event = JSON.parse(letter.payload) as typeof event;
  } catch {
    // A payload that is not JSON is shown as it is, below.
  }
  return {
    seq: letter.deadSequence,
    service: letter.service,
    consumer: letter.consumer,
    deadAt: letter.deadAt,
    subject: letter.subject,
    eventType: event.type ?? null,
    eventId: event.id ?? null,
    correlationId: event.correlationId ?? null,
    deliveryCount: letter.deliveryCount,
    reason: letter.reason,
    ...(event.type === undefined ? { payload: letter.payload.slice(0, 500) } : {}),
  };
};

const selected = async (nc: NatsConnection, names: NatsNames, selection: DeadLetterSelection, label: string) => {
  const total = await countDeadLetters(nc, names, selection.service);
  const wanted = selection.sequences && new Set(selection.sequences);
  const bar = progressBar(label, total, selection.quiet, "dead letters");
  const letters: StoredDeadLetter[] = [];
  for await (const letter of readDeadLetters(nc, names, selection.service)) {
    bar.increment();
    if (!wanted || wanted.has(letter.deadSequence)) letters.push(letter);
  }
  bar.stop();
  return letters;
};

/** Every selected dead letter, oldest first (reading does not remove them). */
export const listDeadLetters = (nc: NatsConnection, names: NatsNames, selection: DeadLetterSelection = {}) =>
  selected(nc, names, selection, "reading");

/**
 * Republishes each selected dead letter on its original subject and removes it from the dead letters;
 * a letter that fails again is dead-lettered again (with a new sequence).
 */
export const replayDeadLetters = async (
  nc: NatsConnection,
  names: NatsNames,
  selection: DeadLetterSelection = {},
): Promise<StoredDeadLetter[]> => {
  const letters = await selected(nc, names, { ...selection, quiet: true }, "reading");
  const bar = progressBar("replay", letters.length, selection.quiet, "dead letters");
  for (const letter of letters) {
    await replayDeadLetter(nc, names, letter);
    bar.increment();
  }
  bar.stop();
  return letters;
};
