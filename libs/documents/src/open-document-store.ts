import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { MongoDocumentStoreOptions } from "./mongodb-document-store.ts";
import type { DocumentStore } from "./port.ts";
import { openSqliteDocumentStore } from "./sqlite-document-store.ts";

export interface DocumentStoreConfig {
  /** Set in production: the read models live in MongoDB. */
  mongodbUrl?: string;
  /** Where the embedded SQLite file goes when there is no MongoDB. */
  dataDir: string;
  /** Names the views' database file or collection prefix, so services never share a read model by accident. */
  service: string;
}

/**
 * The MongoDB store, with its driver loaded on first use: importing `mongodb` costs a process ~33 MiB of RSS (bson
 * alone allocates a 17 MiB buffer), which a service on SQLite never needs.
 */
export const openMongoDocumentStore = async (url: string, options: MongoDocumentStoreOptions): Promise<DocumentStore> =>
  (await import("./mongodb-document-store.ts")).openMongoDocumentStore(url, options);

/** A service's read-model store: MongoDB when configured, else one SQLite file of its own. */
export const openDocumentStore = async (config: DocumentStoreConfig): Promise<DocumentStore> => {
  if (config.mongodbUrl) {
    return openMongoDocumentStore(config.mongodbUrl, { collectionPrefix: `${config.service}.views.` });
  }
  await mkdir(config.dataDir, { recursive: true });
  return openSqliteDocumentStore(join(config.dataDir, `${config.service}.views.db`));
};
