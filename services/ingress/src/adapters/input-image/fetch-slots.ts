import { fetchesBusy } from "./errors.ts";

/**
 * Counts image fetches in flight, per account and in all. A fetch beyond either cap is refused at once
 * (429 for the account, 503 for this ingress) rather than queued: a queue would hold the request, its body
 * and its connection while the client waits, which is the cost the cap is there to bound.
 */
export const fetchSlots = ({ perAccount, total }: { perAccount: number; total: number }) => {
  const byAccount = new Map<string, number>();
  let inFlight = 0;
  return {
    async run<T>(account: string, fetch: () => Promise<T>): Promise<T> {
      const mine = byAccount.get(account) ?? 0;
      if (mine >= perAccount) throw fetchesBusy("account", perAccount);
      if (inFlight >= total) throw fetchesBusy("all", total);
      byAccount.set(account, mine + 1);
      inFlight += 1;
      try {
        return await fetch();
      } finally {
        inFlight -= 1;
        const left = (byAccount.get(account) ?? 1) - 1;
        if (left === 0) byAccount.delete(account);
        else byAccount.set(account, left);
      }
    },
    get inFlight() {
      return inFlight;
    },
  };
};
