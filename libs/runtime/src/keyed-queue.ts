/**
 * Runs tasks one at a time per key, in arrival order; different keys run concurrently. Used so
 * that one process never races itself on a hot stream (optimistic concurrency would make every
 * concurrent writer but one re-read and retry).
 */
export const keyedQueue = () => {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
};
