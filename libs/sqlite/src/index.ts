export { sqliteGroupCommit } from "./group-commit.ts";
export { openSqliteDatabase } from "./open.ts";
