export type { MongoDocumentStoreOptions } from "./mongodb-document-store.ts";
export { type DocumentStoreConfig, openDocumentStore, openMongoDocumentStore } from "./open-document-store.ts";
export {
  type Collection,
  type DocumentStore,
  type FieldValue,
  type FindQuery,
  type ReadOptions,
  RevisionConflict,
  type Revisioned,
} from "./port.ts";
export { openSqliteDocumentStore } from "./sqlite-document-store.ts";
