import { DatabaseSync } from "node:sqlite";

/**
 * Opens an embedded SQLite database the way every store here uses one: WAL, so readers in other
 * processes (the CLI) never block the writer, and synchronous=NORMAL, durable across a process crash.
 *
 * A page cache of up to 8 MiB (SQLite's default is 2 MiB): the pages a service keeps touching (its recent
 * streams, the views' b-tree interiors) outgrew 2 MiB within minutes, and every miss was a read() from the
 * OS. Checkpoints every ~4,000 WAL pages (~16 MiB) instead of 1,000: a page written again before the
 * checkpoint is copied back once, and the checkpoint's fsync (most of its time, which holds the event loop)
 * comes a quarter as often. Together they cut a write-heavy harness's read() calls ~2.5× and its system time ~25%
 * (32 MiB saved a little more, but cost the poller 32 MiB of RSS with 10,000 jobs in flight).
 */
export const openSqliteDatabase = (path: string): DatabaseSync => {
  const db = new DatabaseSync(path);
  // busy_timeout first: two processes opening one file at once would otherwise fail switching to WAL.
  db.exec(
    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; " +
      "PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 4000;",
  );
  return db;
};
