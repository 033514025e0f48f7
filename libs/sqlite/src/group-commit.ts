import type { DatabaseSync } from "node:sqlite";

interface Pending {
  work: () => unknown;
  clean: boolean;
  committed: ((value: unknown) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the writes that arrive in one turn of the event loop in one transaction: concurrent appends then
 * share one WAL write instead of paying one each. A failing write rolls back alone: the batch first runs
 * without savepoints (two statements per batch instead of two more per write, the common case); if a
 * write throws, the whole transaction is rolled back and the batch runs again with each write in its
 * own savepoint, as before. A write queued with `{ clean: true }` promises that when it throws it has
 * written nothing (its one write is a single statement, which SQLite undoes alone, or it throws before
 * writing): its failure is recorded and the batch goes on (a document's revision conflict, say). So a write must be a pure function of the database (no effects outside it):
 * it may run twice, and only the second run counts. Promises settle only after COMMIT, so a resolved
 * write is durable (to the degree `synchronous` promises). A write's `committed` runs right after the COMMIT that
 * made it durable, before any promise settles and with no other JavaScript between: what it records of the
 * database (a cache, say) is known to be no older than that commit.
 */
export const sqliteGroupCommit = (db: DatabaseSync) => {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  const savepoint = db.prepare("SAVEPOINT write");
  const release = db.prepare("RELEASE write");
  const rollbackTo = db.prepare("ROLLBACK TO write");
  let pending: Pending[] = [];

  type Outcome = { ok: boolean; value: unknown };
  /** Every write in one go; undefined (and the transaction rolled back) as soon as one throws. */
  const optimistic = (batch: Pending[]): Outcome[] | undefined => {
    const outcomes: Outcome[] = [];
    begin.run();
    for (const { work, clean } of batch) {
      try {
        outcomes.push({ ok: true, value: work() });
      } catch (error) {
        // Still in the transaction (an I/O error may end it): nothing of this write is in it.
        if (clean && db.isTransaction) {
          outcomes.push({ ok: false, value: error });
          continue;
        }
        // Some errors (SQLITE_FULL, say) end the transaction themselves.
        if (db.isTransaction) rollback.run();
        // Alone in the batch: rolling back the transaction was rolling back the write.
        return batch.length === 1 ? [{ ok: false, value: error }] : undefined;
      }
    }
    commit.run();
    return outcomes;
  };

  /** Each write in its own savepoint: a failing one rolls back alone, the others commit. */
  const isolated = (batch: Pending[]): Outcome[] => {
    const outcomes: Outcome[] = [];
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
    return outcomes;
  };

  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = optimistic(batch) ?? isolated(batch);
    } catch (error) {
      if (db.isTransaction) rollback.run();
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const [index, { committed }] of batch.entries()) {
      const { ok, value } = outcomes[index]!;
      if (!ok || !committed) continue;
      try {
        committed(value);
      } catch {
        // Only a record of what was written: the write itself stands.
      }
    }
    batch.forEach(({ resolve, reject }, index) => {
      const { ok, value } = outcomes[index]!;
      if (ok) resolve(value);
      else reject(value);
    });
  };

  return {
    /** Queues `work` (synchronous statements, no effects outside the database) for the next group transaction. */
    write: <T>(
      work: () => T,
      { clean = false, committed }: { clean?: boolean; committed?: (value: T) => void } = {},
    ): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const entry = {
          work,
          clean,
          committed: committed as ((value: unknown) => void) | undefined,
          resolve: resolve as (value: unknown) => void,
          reject,
        };
        if (pending.push(entry) === 1) setImmediate(flush);
      }),
    /** Commits what is queued now (before closing the database). */
    flush,
  };
};
