import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import type { NatsNames } from "@reelgate/contracts";

/** The server's answer to a create that races another process's create with a different config. */
const STREAM_NAME_IN_USE = 10058;
const DUPLICATE_WINDOW_MS = 2 * 60_000;

type WantedStream = Pick<
  StreamConfig,
  "name" | "subjects" | "retention" | "storage" | "discard" | "duplicate_window" | "max_age" | "num_replicas"
>;

const wanted = (name: string, subject: string, replicas: number): WantedStream => ({
  name,
  subjects: [subject],
  // Limits retention on file storage: a message stays readable after every consumer acked (or dead-lettered) it.
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  discard: DiscardPolicy.Old,
  duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  max_age: 0,
  num_replicas: replicas,
});

/**
 * Creates or updates the events stream and the dead-letter stream. Idempotent, and safe when several
 * processes run it at once: a create that loses the race falls back to an update.
 */
export const ensureStreams = async (nc: NatsConnection, names: NatsNames, { replicas = 1 } = {}): Promise<void> => {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, wanted(names.eventsStream, names.eventsWildcard, replicas));
  await ensureStream(jsm, wanted(names.deadLetterStream, names.deadLetterWildcard, replicas));
};

const ensureStream = async (jsm: JetStreamManager, config: WantedStream) => {
  let existing = await streamConfig(jsm, config.name);
  if (!existing) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
      existing = await streamConfig(jsm, config.name);
      if (!existing) throw error;
    }
  }
  if (sameSettings(existing, config)) return;
  if (existing.storage !== config.storage || existing.retention !== config.retention) {
    throw new Error(
      `stream ${config.name} exists with ${existing.retention}/${existing.storage}; it must be ${config.retention}/${config.storage} (recreate it)`,
    );
  }
  await jsm.streams.update(config.name, {
    ...existing,
    subjects: config.subjects,
    duplicate_window: config.duplicate_window,
    max_age: config.max_age,
    discard: config.discard,
  });
};

const streamConfig = async (jsm: JetStreamManager, name: string): Promise<StreamConfig | undefined> => {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw error;
  }
};

const sameSettings = (existing: StreamConfig, config: WantedStream) =>
  existing.subjects.length === config.subjects.length &&
  existing.subjects.every((subject, i) => subject === config.subjects[i]) &&
  existing.retention === config.retention &&
  existing.storage === config.storage &&
  existing.discard === config.discard &&
  existing.duplicate_window === config.duplicate_window &&
  existing.max_age === config.max_age;
