import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";

export interface DurableSettings {
  durable: string;
  filterSubject: string;
  maxDeliver: number;
  ackWaitMs: number;
  maxAckPending: number;
  /**
   * The durable this one was split out of (a consumer of several event types narrowed to one, the others
   * given consumers of their own). A new durable starts where that one had acked up to, rather than at the
   * stream's start: its events before that were handled already, and replaying the whole stream on an
   * upgrade would handle them all again. Create the split-out durables before narrowing the one they came
   * from: once narrowed, its ack floor moves past the events it no longer takes.
   */
  splitFrom?: string;
}

const wanted = (s: DurableSettings): Partial<ConsumerConfig> => ({
  durable_name: s.durable,
  ack_policy: AckPolicy.Explicit,
  deliver_policy: DeliverPolicy.All,
  filter_subject: s.filterSubject,
  max_deliver: Number.isFinite(s.maxDeliver) ? s.maxDeliver : -1,
  ack_wait: nanos(s.ackWaitMs),
  max_ack_pending: s.maxAckPending,
});

const isNotFound = (error: unknown) =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;

/** Where a new durable split out of `parent` starts: after the parent's ack floor, or at the start without one. */
const startOf = async (jsm: JetStreamManager, stream: string, parent: string | undefined) => {
  if (!parent) return {};
  const info = await jsm.consumers.info(stream, parent).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (!info) return {};
  return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info.ack_floor.stream_seq + 1 };
};

/** Creates the durable pull consumer, or updates it when its settings changed. Safe to race. */
export const ensureDurable = async (jsm: JetStreamManager, stream: string, settings: DurableSettings) => {
  const config = wanted(settings);
  const existing = await jsm.consumers.info(stream, settings.durable).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  let current = existing?.config;
  if (!current) {
    try {
      await jsm.consumers.add(stream, { ...config, ...(await startOf(jsm, stream, settings.splitFrom)) });
      return;
    } catch (error) {
      // Another process may have created it a moment ago with other settings: then update it.
      current = (await jsm.consumers.info(stream, settings.durable).catch(() => undefined))?.config;
      if (!current) throw error;
    }
  }
  const unchanged =
    current.filter_subject === config.filter_subject &&
    current.max_deliver === config.max_deliver &&
    current.ack_wait === config.ack_wait &&
    current.max_ack_pending === config.max_ack_pending;
  if (unchanged) return;
  await jsm.consumers.update(stream, settings.durable, {
    filter_subject: config.filter_subject,
    max_deliver: config.max_deliver,
    ack_wait: config.ack_wait,
    max_ack_pending: config.max_ack_pending,
  });
};
