/**
 * Runs at most `limit` pieces of work at once and holds at most `capacity` (running and waiting, waiting ones
 * started in the order they came); lets the pull loop wait until one finishes.
 */
export const workPool = (limit: number, capacity = limit) => {
  const running = new Set<Promise<void>>();
  const waiting: Array<() => Promise<void>> = [];
  let changed: (() => void) | undefined;
  const signal = () => {
    changed?.();
    changed = undefined;
  };
  const start = (work: () => Promise<void>) => {
    const task = work().finally(() => {
      running.delete(task);
      const next = waiting.shift();
      if (next) start(next);
      signal();
    });
    running.add(task);
  };
  return {
    /** Room for this many more (running or waiting). */
    free: () => Math.max(limit, capacity) - running.size - waiting.length,
    /** Resolves when a piece of work finishes (or `interrupt()` is called). */
    next: () => new Promise<void>((resolve) => (changed = resolve)),
    interrupt: signal,
    /** Starts `work` now (true) or once its turn comes (false). */
    run(work: () => Promise<void>): boolean {
      if (running.size < limit) {
        start(work);
        return true;
      }
      waiting.push(work);
      return false;
    },
    /** Resolves when nothing is in flight and nothing waits. */
    async idle() {
      while (running.size > 0 || waiting.length > 0) await Promise.allSettled([...running]);
    },
  };
};
