import { DatabaseSync } from "node:sqlite";

/**
 * Opens an embedded SQLite database the way every store here uses one: WAL, so readers in other
 * processes (the CLI) never block the writer, and synchronous=NORMAL, durable across a process crash.
 */
export const openSqliteDatabase = (path: string): DatabaseSync => {
  const db = new DatabaseSync(path);
  // busy_timeout first: two processes opening one file at once would otherwise fail switching to WAL.
  db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  return db;
};
