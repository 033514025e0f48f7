import type { JsMsg } from "@nats-io/jetstream";
import { type Envelope, envelopeSchema, InvalidEventError, parseEvent, type TypedEnvelope } from "@reelgate/contracts";
import type { Logger } from "pino";
import { PoisonMessageError } from "./errors.ts";

/** `undefined`: done, ack. `{ retryInMs }`: not done yet, deliver it again after that long (not an error). */
// biome-ignore lint/suspicious/noConfusingVoidType: lets handlers that return nothing type-check as `async () => {}`
export type HandlerResult = void | undefined | { retryInMs: number };

/** What a handler returns to have its message delivered again after `ms` (rounded up to whole ms by the runner). */
export const retryAfter = (ms: number): { retryInMs: number } => ({ retryInMs: ms });

export interface HandlerContext {
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** The message's place in its stream: two copies of one event (a republish) have different ones. */
  streamSequence: number;
  /** Tells the server the handler is still at it, so the message is not redelivered after ack_wait. */
  working(): void;
  /** Carries videoId, eventId and eventType. */
  log: Logger;
}

export type Handler = (event: TypedEnvelope, ctx: HandlerContext) => Promise<HandlerResult>;

export type Outcome =
  | { kind: "ack" }
  | { kind: "retry"; delayMs: number }
  | { kind: "failed"; error: unknown }
  | { kind: "poison"; reason: string };

/** Parses the envelope from the wire; anything that is not a valid event is an InvalidEventError. */
export const decodeEvent = (text: string): TypedEnvelope => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidEventError(`payload is not JSON: ${(error as Error).message}`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    const issues = envelope.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new InvalidEventError(`not an event envelope: ${issues.join("; ")}`);
  }
  return parseEvent(envelope.data as Envelope);
};

/** Runs the handler on one message and says what to do with it; never throws. */
export const runHandler = async (msg: JsMsg, handle: Handler, log: Logger): Promise<Outcome> => {
  let event: TypedEnvelope;
  try {
    event = decodeEvent(msg.string());
  } catch (error) {
    return { kind: "poison", reason: (error as Error).message };
  }
  const { deliveryCount, streamSequence } = msg.info;
  let child: Logger | undefined;
  const ctx: HandlerContext = {
    deliveryCount,
    streamSequence,
    working: () => msg.working(),
    // Made on first use: most handlers never log, and a pino child per message is a cost on every event.
    get log() {
      child ??= log.child({ videoId: event.correlationId, eventId: event.id, eventType: event.type });
      return child;
    },
  };
  try {
    const result = await handle(event, ctx);
    if (result && typeof result.retryInMs === "number")
      // Whole milliseconds: NATS treats a fractional nak delay as "redeliver now".
      return { kind: "retry", delayMs: Math.max(0, Math.ceil(result.retryInMs)) };
    return { kind: "ack" };
  } catch (error) {
    if (error instanceof PoisonMessageError || error instanceof InvalidEventError) {
      return { kind: "poison", reason: `${error.name}: ${error.message}` };
    }
    return { kind: "failed", error };
  }
};
