/**
 * The sum of an account's pending quotes (videos billing has not answered yet), read once per turn of the
 * event loop and shared by every create of that account in the turn. The sum scans each pending video of
 * the account, so with billing behind (or stopped) it grew with the backlog and cost more than the rest of
 * a create together (~1.1 ms of a 1.7 ms create at ~6,000 pending; 50 connections of one key); under load
 * ~20 creates of one turn now share one scan. What a create sees is what it saw before: the quotes recorded
 * up to the last commit, since no write becomes visible before the turn's group commit. The sum stays a
 * best effort at the door: creates in flight together never saw each other's quotes, and billing, the
 * authority, rejects what the door let through (ReservationRejected, a failed video, nothing charged).
 */
export const pendingQuotesPerTurn = (sum: (accountId: string) => Promise<number>) => {
  const thisTurn = new Map<string, Promise<number>>();
  return (accountId: string): Promise<number> => {
    const shared = thisTurn.get(accountId);
    if (shared) return shared;
    // Forgotten at the end of the turn (and at once on a failure, so the next create asks again).
    if (thisTurn.size === 0) setImmediate(() => thisTurn.clear());
    const read = sum(accountId);
    thisTurn.set(accountId, read);
    read.catch(() => {
      if (thisTurn.get(accountId) === read) thisTurn.delete(accountId);
    });
    return read;
  };
};
