import { type Collection, RevisionConflict } from "./port.ts";

const maxAttempts = 12;

/** `Collection.update` for any adapter: read, apply, compare-and-set, and on a conflict start over. */
export const updateWithRetry = async <T extends { id: string }>(
  collection: Pick<Collection<T>, "get" | "put">,
  id: string,
  fn: (current: T | undefined) => T | undefined,
): Promise<T | undefined> => {
  for (let attempt = 1; ; attempt++) {
    const current = await collection.get(id);
    const next = fn(current?.doc);
    if (next === undefined) return current?.doc;
    if (next.id !== id) throw new Error(`update of ${id} returned a document with id ${next.id}`);
    try {
      await collection.put(next, current?.rev ?? null);
      return next;
    } catch (error) {
      if (!(error instanceof RevisionConflict) || attempt >= maxAttempts) throw error;
      await pause(attempt);
    }
  }
};

/** Jittered and growing, so writers that collided once do not collide again in lockstep. */
const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
