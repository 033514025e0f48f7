import { categoryOf, type TypedEnvelope } from "@reelgate/contracts";
import { RevisionConflict } from "@reelgate/documents";
import { applyToBalanceView } from "./balance-view.ts";
import { historyVideoIdOf, toVideoEventRow } from "./video-history.ts";
import { applyToVideoView, changesVideoView, videoIdOf } from "./video-view.ts";
import type { Views } from "./views.ts";

export type ProjectionOutcome = "applied" | "unchanged";

/** What became of one event of a batch: its outcome, or the error of a write it took part in. */
export type ProjectionResult = { ok: true; outcome: ProjectionOutcome } | { ok: false; error: unknown };

/**
 * Applies one event of any category to ingress's read models. Commutative: any order, any delay and
 * any number of repeats give the same documents, so no event ever waits for another: one about a
 * video whose VideoRequested has not arrived starts its document, and the request fills in later.
 */
export const projectEvent = async (views: Views, event: TypedEnvelope): Promise<ProjectionOutcome> => {
  const [result] = await projectEvents(views, [event]);
  if (!result?.ok) throw result?.error;
  return result.outcome;
};

/**
 * Applies a batch of events: each video's (and each account's) events are folded into its document in
 * one read and one write, in the order given, and every write of the batch is queued in the same turn,
 * so the document store commits them together. Folding a batch is applying its events one by one
 * (each apply is commutative and idempotent), so the documents are what `projectEvent` would give.
 * An event's result fails when a write it took part in failed; the others of the batch still count.
 */
export const projectEvents = async (views: Views, events: TypedEnvelope[]): Promise<ProjectionResult[]> => {
  const applied = events.map(() => false);
  /** Per event, the writes it takes part in. */
  const writesOf: Promise<unknown>[][] = events.map(() => []);
  const videos = new Map<string, number[]>();
  const accounts = new Map<string, number[]>();
  const group = (groups: Map<string, number[]>, key: string, index: number) => {
    const members = groups.get(key);
    if (members) members.push(index);
    else groups.set(key, [index]);
  };

  const plan = (event: TypedEnvelope, index: number) => {
    // The video's history: one document per event, keyed by the video and the event, so a redelivery writes nothing.
    const historyOf = historyVideoIdOf(event);
    if (historyOf) {
      // Insert-only, without reading first: a redelivery's insert conflicts and writes nothing.
      writesOf[index]!.push(
        views.videoEvents.put(toVideoEventRow(event, historyOf), null).then(
          () => {
            applied[index] = true;
          },
          (error: unknown) => {
            if (!(error instanceof RevisionConflict)) throw error;
          },
        ),
      );
    }
    const category = categoryOf(event.stream);
    if (category === "account") group(accounts, event.accountId ?? "", index);
    if (category === "apikey") {
      writesOf[index]!.push(projectKey(views, event));
      applied[index] = true;
      return;
    }
    const videoId = videoIdOf(event);
    // Events the video's document ignores (attempts, queueing, webhooks, ...) cost no read and no write.
    if (videoId && changesVideoView(event)) group(videos, videoId, index);
  };
  events.forEach((event, index) => {
    try {
      plan(event, index);
    } catch (error) {
      // An event that cannot even be read (an unknown stream category) fails alone.
      writesOf[index]!.push(Promise.reject(error));
    }
  });

  /** Per event, the folds whose document it changed (in the fold's last run: `update` may run it again). */
  const changedBy: Set<number>[] = [];
  /** One read-modify-write of a document for all its events, in their order. */
  const fold = <T>(members: number[], apply: (current: T | undefined, event: TypedEnvelope) => T | undefined) => {
    const changed = new Set<number>();
    changedBy.push(changed);
    return (current: T | undefined) => {
      changed.clear();
      let doc = current;
      for (const index of members) {
        const next = apply(doc, events[index]!);
        if (next === undefined) continue;
        doc = next;
        changed.add(index);
      }
      return changed.size > 0 ? doc : undefined;
    };
  };
  const documentWrite = (write: Promise<unknown>, members: number[]) => {
    for (const index of members) writesOf[index]!.push(write);
  };
  for (const [accountId, members] of accounts)
    documentWrite(views.balances.update(accountId, fold(members, applyToBalanceView)), members);
  for (const [videoId, members] of videos)
    documentWrite(views.videos.update(videoId, fold(members, applyToVideoView)), members);

  return Promise.all(
    writesOf.map(async (writes, index): Promise<ProjectionResult> => {
      const settled = await Promise.allSettled(writes);
      const failed = settled.find((result) => result.status === "rejected");
      if (failed) return { ok: false, error: failed.reason };
      return {
        ok: true,
        outcome: applied[index] || changedBy.some((changed) => changed.has(index)) ? "applied" : "unchanged",
      };
    }),
  );
};

const projectKey = async (views: Views, event: TypedEnvelope) => {
  if (event.type === "ApiKeyIssued") {
    const { keyId, accountId, name, sha256 } = event.data;
    await views.keys.update(keyId, (current) => current ?? { id: keyId, accountId, name, sha256, revoked: false });
  } else if (event.type === "ApiKeyRevoked") {
    await views.keys.update(event.data.keyId, (current) =>
      current && !current.revoked ? { ...current, revoked: true } : undefined,
    );
  }
};

/**
 * Events folded and committed together at most. A pull of 256 folded and committed at once held the event loop
 * for tens of milliseconds, and creates waited behind it; a slice of 64, the next one started only once the one
 * before has committed, keeps each synchronous run short (one slice's fold in one turn, its commit in the next,
 * HTTP requests served between) while each slice still shares one commit.
 */
export const projectionSlice = 64;

/**
 * The consumer's handler: events handled in one turn of the event loop (a pulled batch, as the consumer
 * starts their handlers together) are projected in batches of at most `slice`, one batch at a time; each
 * handler settles with its own event.
 */
export const batchedProjection = (views: Views, slice = projectionSlice) => {
  let queue: { event: TypedEnvelope; resolve: () => void; reject: (error: unknown) => void }[] = [];
  const settle = (result: ProjectionResult | undefined, resolve: () => void, reject: (error: unknown) => void) => {
    if (result?.ok) resolve();
    else reject(result?.error);
  };
  let busy = false;
  const next = () => {
    if (busy || queue.length === 0) return;
    busy = true;
    setImmediate(flush);
  };
  const flush = async () => {
    const batch = queue.length > slice ? queue.splice(0, slice) : queue;
    if (batch === queue) queue = [];
    const results = await projectEvents(
      views,
      batch.map(({ event }) => event),
    ).catch((error: unknown) => batch.map((): ProjectionResult => ({ ok: false, error })));
    // Committed (or failed): the next slice, in a later turn.
    busy = false;
    next();
    batch.forEach(({ event, resolve, reject }, index) => {
      const result = results[index];
      if (result?.ok || batch.length === 1) {
        settle(result, resolve, reject);
        return;
      }
      // A failed write fails every event folded into it: each is applied again alone (all of it is
      // idempotent), so an event that cannot be projected fails by itself, never its batch neighbours.
      projectEvents(views, [event]).then(
        ([alone]) => settle(alone, resolve, reject),
        (error: unknown) => reject(error),
      );
    });
  };
  return (event: TypedEnvelope): Promise<void> =>
    new Promise((resolve, reject) => {
      queue.push({ event, resolve, reject });
      next();
    });
};
