export { type SqliteDataVersion, sqliteDataVersion } from "./data-version.ts";
export { sqliteGroupCommit } from "./group-commit.ts";
export { openSqliteDatabase } from "./open.ts";
