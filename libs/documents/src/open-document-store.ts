import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openMongoDocumentStore } from "./mongodb-document-store.ts";
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

/** A service's read-model store: MongoDB when configured, else one SQLite file of its own. */
export const openDocumentStore = async (config: DocumentStoreConfig): Promise<DocumentStore> => {
  if (config.mongodbUrl) {
    return openMongoDocumentStore(config.mongodbUrl, { collectionPrefix: `${config.service}.views.` });
  }
  await mkdir(config.dataDir, { recursive: true });
  return openSqliteDocumentStore(join(config.dataDir, `${config.service}.views.db`));
};
