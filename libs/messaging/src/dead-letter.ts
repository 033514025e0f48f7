import { type JetStreamClient, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";
import type { Logger } from "pino";

export const DEAD_REASON_HEADER = "Reelgate-Dead-Reason";

/** What a dead-letter message holds: enough to understand, fix and replay it. */
export interface DeadLetter {
  reason: string;
  consumer: string;
  subject: string;
  deliveryCount: number;
  streamSequence: number;
  /** The original message text, as received. */
  payload: string;
}

/**
 * Publishes a letter to the service's dead-letter subject; deduplicated per consumer and stream
 * sequence. With `log`, says so loudly (error level): a dead letter waits for an operator.
 */
export const publishDeadLetter = async (
  js: JetStreamClient,
  names: NatsNames,
  service: string,
  letter: DeadLetter,
  log?: Logger,
) => {
  const h = headers();
  // Header values cannot hold line breaks; the body keeps the full reason.
  h.set(DEAD_REASON_HEADER, letter.reason.replace(/[\r\n]+/g, " ").slice(0, 1_000));
  await js.publish(names.deadLetterSubject(service), JSON.stringify(letter), {
    headers: h,
    msgID: `${letter.consumer}:${letter.streamSequence}`,
  });
  log?.error(
    {
      deadLetter: {
        consumer: letter.consumer,
        subject: letter.subject,
        streamSequence: letter.streamSequence,
        deliveryCount: letter.deliveryCount,
        event: eventSummary(letter.payload),
      },
      reason: letter.reason,
    },
    `DEAD LETTER: ${letter.consumer} set aside a message on ${letter.subject} and will not handle it again ` +
      `until an operator replays it (reelgate dead-letters list | replay): ${letter.reason}`,
  );
};

/** Publishes the message to the service's dead-letter subject; deduplicated per consumer and stream sequence. */
export const deadLetter = async (
  js: JetStreamClient,
  names: NatsNames,
  service: string,
  consumer: string,
  msg: JsMsg,
  reason: string,
  log?: Logger,
) =>
  publishDeadLetter(
    js,
    names,
    service,
    {
      reason,
      consumer,
      subject: msg.subject,
      deliveryCount: msg.info.deliveryCount,
      streamSequence: msg.info.streamSequence,
      payload: msg.string(),
    },
    log,
  );

/** The event's type and id, when the payload is one (a poison payload may be anything). */
const eventSummary = (payload: string): { type?: unknown; id?: unknown } | null => {
  try {
    const { type, id } = JSON.parse(payload) as { type?: unknown; id?: unknown };
    return { type, id };
  } catch {
    return null;
  }
};

/** Dead letters of one service (`service`) or of all, as their subject filter. */
const filterOf = (names: NatsNames, service?: string) =>
  service ? names.deadLetterSubject(service) : names.deadLetterWildcard;

/** How many dead letters the stream holds for the service (all services without one). */
export const countDeadLetters = async (nc: NatsConnection, names: NatsNames, service?: string): Promise<number> => {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(names.deadLetterStream, { subjects_filter: filterOf(names, service) });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
};

/** A dead letter as it sits in the stream: its own sequence there (to replay or drop it) and the service's name. */
export interface StoredDeadLetter extends DeadLetter {
  deadSequence: number;
  service: string;
  deadAt: string;
}

/** Every dead letter (of one service, or all), oldest first; reads them without consuming them. */
export async function* readDeadLetters(
  nc: NatsConnection,
  names: NatsNames,
  service?: string,
): AsyncGenerator<StoredDeadLetter> {
  if ((await countDeadLetters(nc, names, service)) === 0) return;
  const consumer = await jetstream(nc).consumers.get(names.deadLetterStream, {
    // One subject as a string: a list needs nats-server 2.10.
    filter_subjects: filterOf(names, service),
  });
  const prefix = names.deadLetterSubject("");
  const messages = await consumer.consume();
  try {
    for await (const msg of messages) {
      yield {
        ...msg.json<DeadLetter>(),
        deadSequence: msg.seq,
        service: msg.subject.slice(prefix.length),
        deadAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)).toISOString(),
      };
      if (msg.info.pending === 0) return;
    }
  } finally {
    await messages.close();
  }
}

/**
 * Replays a dead letter: republishes its message, as received, on its original subject (every
 * consumer of that subject sees it again; handlers are idempotent, so only the one that gave up acts),
 * then removes it from the dead letters. A replay of the same letter within the duplicate window is
 * published once.
 */
export const replayDeadLetter = async (nc: NatsConnection, names: NatsNames, letter: StoredDeadLetter) => {
  const js = jetstream(nc);
  await js.publish(letter.subject, letter.payload, { msgID: `replay:${letter.service}:${letter.deadSequence}` });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.deleteMessage(names.deadLetterStream, letter.deadSequence, false);
};
