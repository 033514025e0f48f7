import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";

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

/** Publishes the message to the service's dead-letter subject; deduplicated per consumer and stream sequence. */
export const deadLetter = async (
  js: JetStreamClient,
  names: NatsNames,
  service: string,
  consumer: string,
  msg: JsMsg,
  reason: string,
) => {
  const letter: DeadLetter = {
    reason,
    consumer,
    subject: msg.subject,
    deliveryCount: msg.info.deliveryCount,
    streamSequence: msg.info.streamSequence,
    payload: msg.string(),
  };
  const h = headers();
  // Header values cannot hold line breaks; the body keeps the full reason.
  h.set(DEAD_REASON_HEADER, reason.replace(/[\r\n]+/g, " ").slice(0, 1_000));
  await js.publish(names.deadLetterSubject(service), JSON.stringify(letter), {
    headers: h,
    msgID: `${consumer}:${msg.info.streamSequence}`,
  });
};
