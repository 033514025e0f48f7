import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { MongoEventStoreOptions } from "./mongodb-event-store.ts";
import type { EventStore } from "./port.ts";
import { openSqliteEventStore } from "./sqlite-event-store.ts";

export interface EventStoreConfig {
  /** Set in production: the service's commits go to `${service}.events` in this MongoDB. */
  mongodbUrl?: string;
  /** Without MongoDB: the embedded store lives at `${dataDir}/${service}.events.db`. */
  dataDir: string;
  service: string;
}

/**
 * The MongoDB store, with its driver loaded on first use: importing `mongodb` costs a process ~33 MiB of RSS (bson
 * alone allocates a 17 MiB buffer), which a service on SQLite never needs.
 */
export const openMongoEventStore = async (url: string, options: MongoEventStoreOptions): Promise<EventStore> =>
  (await import("./mongodb-event-store.ts")).openMongoEventStore(url, options);

/** Each service owns its own store: MongoDB when configured, else an embedded SQLite file. */
export const openEventStore = async ({ mongodbUrl, dataDir, service }: EventStoreConfig): Promise<EventStore> => {
  if (mongodbUrl) return openMongoEventStore(mongodbUrl, { collectionPrefix: `${service}.` });
  await mkdir(dataDir, { recursive: true });
  return openSqliteEventStore(join(dataDir, `${service}.events.db`));
};
