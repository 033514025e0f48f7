import type { DatabaseSync } from "node:sqlite";

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the writes that arrive in one turn of the event loop in one transaction, each in its own
 * savepoint: concurrent appends then share one WAL write instead of paying one each, and a
 * failing write rolls back alone. Promises settle only after COMMIT, so a resolved write is durable
 * (to the degree `synchronous` promises).
 */
export const sqliteGroupCommit = (db: DatabaseSync) => {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  const savepoint = db.prepare("SAVEPOINT write");
  const release = db.prepare("RELEASE write");
  const rollbackTo = db.prepare("ROLLBACK TO write");
  let pending: Pending[] = [];

  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      begin.run();
      for (const { work } of batch) {
        savepoint.run();
        try {
          outcomes.push({ ok: true, value: work() });
          release.run();
        } catch (error) {
          rollbackTo.run();
          release.run();
          outcomes.push({ ok: false, value: error });
        }
      }
      commit.run();
    } catch (error) {
      if (db.isTransaction) rollback.run();
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, index) => {
      const { ok, value } = outcomes[index]!;
      if (ok) resolve(value);
      else reject(value);
    });
  };

  return {
    /** Queues `work` (synchronous statements) for the next group transaction. */
    write: <T>(work: () => T): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (pending.push({ work, resolve: resolve as (value: unknown) => void, reject }) === 1) setImmediate(flush);
      }),
    /** Commits what is queued now (before closing the database). */
    flush,
  };
};
