import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openMongoEventStore } from "./mongodb-event-store.ts";
import type { EventStore } from "./port.ts";
import { openSqliteEventStore } from "./sqlite-event-store.ts";

export interface EventStoreConfig {
  /** Set in production: the service's commits go to `${service}.events` in this MongoDB. */
  mongodbUrl?: string;
  /** Without MongoDB: the embedded store lives at `${dataDir}/${service}.events.db`. */
  dataDir: string;
  service: string;
}

/** Each service owns its own store: MongoDB when configured, else an embedded SQLite file. */
export const openEventStore = async ({ mongodbUrl, dataDir, service }: EventStoreConfig): Promise<EventStore> => {
  if (mongodbUrl) return openMongoEventStore(mongodbUrl, { collectionPrefix: `${service}.` });
  await mkdir(dataDir, { recursive: true });
  return openSqliteEventStore(join(dataDir, `${service}.events.db`));
};
