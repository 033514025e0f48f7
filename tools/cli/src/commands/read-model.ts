import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type Envelope, parseEvent } from "@reelgate/contracts";
import { type DocumentStore, openSqliteDocumentStore } from "@reelgate/documents";
import type { EventStore } from "@reelgate/event-store";
import { openViews, projectEvent, type Views } from "@reelgate/ingress";
import { progressBar } from "../progress.ts";

/** Every service's store, ingress first: its VideoRequested events start the documents the others fill in. */
export type StoresByService = Array<[service: string, store: EventStore]>;

const collectionsOf = (views: Views) => [views.videos, views.balances, views.keys, views.videoEvents] as const;

/** Replays every event of every service into `views`. */
export const replayInto = async (views: Views, stores: StoresByService, quiet = false) => {
  const total = (await Promise.all(stores.map(([, store]) => store.countAll()))).reduce((a, b) => a + b, 0);
  const bar = progressBar("rebuild", total, quiet);
  let events = 0;
  for (const [, store] of stores) {
    for await (const stored of store.readAll({ batchSize: 1000 })) {
      const { position: _position, ...envelope } = stored;
      await projectEvent(views, parseEvent(envelope as Envelope));
      events++;
      bar.increment();
    }
  }
  bar.stop();
  return events;
};

/** Drops ingress's read models and rebuilds them from the event stores. */
export const rebuildReadModel = async (documents: DocumentStore, stores: StoresByService, quiet = false) => {
  const views = await openViews(documents);
  for (const collection of collectionsOf(views)) await collection.clear();
  return replayInto(views, stores, quiet);
};

export interface Difference {
  collection: string;
  id: string;
  live: unknown;
  rebuilt: unknown;
}

/** Rebuilds into a scratch store and compares it with the live read model, document by document. */
export const verifyReadModel = async (documents: DocumentStore, stores: StoresByService, quiet = false) => {
  const scratchDir = mkdtempSync(join(tmpdir(), "reelgate-verify-"));
  const scratch = openSqliteDocumentStore(join(scratchDir, "views.db"));
  try {
    const rebuilt = await openViews(scratch);
    const events = await replayInto(rebuilt, stores, quiet);
    const live = await openViews(documents);
    const differences: Difference[] = [];
    const names = ["videos", "balances", "keys", "videoEvents"] as const;
    let documentsCompared = 0;
    for (const name of names) {
      const seen = new Set<string>();
      for await (const doc of live[name].all()) {
        seen.add(doc.id);
        documentsCompared++;
        const other = (await rebuilt[name].get(doc.id))?.doc;
        if (!isDeepStrictEqual(doc, other))
          differences.push({ collection: name, id: doc.id, live: doc, rebuilt: other });
      }
      for await (const doc of rebuilt[name].all()) {
        if (!seen.has(doc.id)) differences.push({ collection: name, id: doc.id, live: undefined, rebuilt: doc });
      }
    }
    return { events, documentsCompared, differences };
  } finally {
    await scratch.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
};
