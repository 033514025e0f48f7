export { MAX_EVENTS_PER_COMMIT } from "./commit.ts";
export type { MongoEventStoreOptions } from "./mongodb-event-store.ts";
export { type EventStoreConfig, openEventStore, openMongoEventStore } from "./open-event-store.ts";
export {
  type AppendOptions,
  type AppendResult,
  ConcurrencyError,
  type EventStore,
  EventTooLargeError,
  type ExpectedVersion,
  MAX_EVENT_BYTES,
  type OutboxBatch,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from "./port.ts";
export { openSqliteEventStore } from "./sqlite-event-store.ts";
