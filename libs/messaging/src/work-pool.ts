/** Counts handlers in flight against a limit, and lets the pull loop wait until one finishes. */
export const workPool = (limit: number) => {
  const running = new Set<Promise<void>>();
  let changed: (() => void) | undefined;
  const signal = () => {
    changed?.();
    changed = undefined;
  };
  return {
    free: () => limit - running.size,
    /** Resolves when a handler finishes (or `interrupt()` is called). */
    next: () => new Promise<void>((resolve) => (changed = resolve)),
    interrupt: signal,
    run(work: () => Promise<void>) {
      const task = work().finally(() => {
        running.delete(task);
        signal();
      });
      running.add(task);
    },
    /** Resolves when nothing is in flight. */
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
};
