/**
 * Wakes the submits waiting for their job's request when this process queues it. A FundsReserved may come
 * before the intake consumer has handled its VideoRequested; its handler waits here, holding its message, so
 * the message is not nak'd and redelivered over and over while the intake catches up (in a burst of 10,000
 * jobs that churn was most of the poller's CPU and garbage). Another replica's intake wakes no one here: the
 * wait just runs out and the message comes back later, as before.
 */
export const requestArrivals = () => {
  const waiting = new Map<string, Set<() => void>>();
  return {
    arrived(videoId: string) {
      const wakers = waiting.get(videoId);
      if (!wakers) return;
      waiting.delete(videoId);
      for (const wake of [...wakers]) wake();
    },
    /** Resolves once this process queued `videoId`, or after `ms`. */
    wait(videoId: string, ms: number) {
      return new Promise<void>((resolve) => {
        const wakers = waiting.get(videoId) ?? new Set<() => void>();
        waiting.set(videoId, wakers);
        const done = () => {
          clearTimeout(timer);
          wakers.delete(done);
          if (wakers.size === 0 && waiting.get(videoId) === wakers) waiting.delete(videoId);
          resolve();
        };
        const timer = setTimeout(done, ms);
        wakers.add(done);
      });
    },
  };
};

export type RequestArrivals = ReturnType<typeof requestArrivals>;
