import { openSync, readSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";

/** The first copy of the WAL-index header (sqlite.org/walformat.html §2.2.1): 48 bytes at the start of `-shm`. */
const HEADER_BYTES = 48;

/**
 * `PRAGMA data_version` of one connection (it changes when another connection commits, never for this one's
 * own commits), answered without the pragma while no connection has committed: the WAL-index header in `-shm`,
 * which every commit in WAL mode rewrites (its `iChange` counter only grows), is read first with one `pread`
 * (~1 µs), and the pragma (a read transaction: two `fcntl` locks, ~3 µs) runs only when the header moved since
 * the look before the last pragma. Exact, as libs/documents' read cache argues: the header is read before the
 * pragma, so a commit that finished before that read is in the pragma's answer, and one that finished after it
 * changed the header, which the next look sees. Not a WAL file (in memory, say): the pragma every time.
 *
 * The `-shm` descriptor stays open for the life of the process: closing any descriptor of a file drops every
 * POSIX lock this process holds on it, SQLite's own included.
 */
export const sqliteDataVersion = (db: DatabaseSync) => {
  const pragma = db.prepare("PRAGMA data_version");
  const ask = () => Number((pragma.get() as { data_version: number }).data_version);
  const path = db.location();
  const wal = !!path && db.prepare("PRAGMA journal_mode").get()?.journal_mode === "wal";
  let fd: number | undefined;
  let attempts = 0;
  const now = Buffer.alloc(HEADER_BYTES);
  const marked = Buffer.alloc(HEADER_BYTES);
  let hasMark = false;
  // Never answered before the first look has asked (no mark yet).
  let last = 0;

  /** Reads the header into `now`; false when it cannot be read whole. */
  const look = () => {
    // The file appears with the first transaction in WAL mode: opened on first use, retried a few times.
    if (fd === undefined && attempts < 3) {
      attempts++;
      try {
        fd = openSync(`${path}-shm`, "r");
      } catch {
        fd = undefined;
      }
    }
    if (fd === undefined) return false;
    try {
      return readSync(fd, now, 0, HEADER_BYTES, 0) === HEADER_BYTES;
    } catch {
      return false;
    }
  };

  return {
    /** What `PRAGMA data_version` would answer now. */
    current(): number {
      const read = wal && look();
      if (read && hasMark && now.equals(marked)) return last;
      hasMark = read;
      if (read) now.copy(marked);
      last = ask();
      return last;
    },
    /**
     * The pragma itself, for a caller inside its own write transaction (no commit can finish meanwhile, and the
     * pragma costs no lock there); it does not move the mark.
     */
    inTransaction: ask,
  };
};

export type SqliteDataVersion = ReturnType<typeof sqliteDataVersion>;
