export { type MongoDocumentStoreOptions, openMongoDocumentStore } from "./mongodb-document-store.ts";
export { type DocumentStoreConfig, openDocumentStore } from "./open-document-store.ts";
export {
  type Collection,
  type DocumentStore,
  type FieldValue,
  type FindQuery,
  RevisionConflict,
  type Revisioned,
} from "./port.ts";
export { openSqliteDocumentStore } from "./sqlite-document-store.ts";
