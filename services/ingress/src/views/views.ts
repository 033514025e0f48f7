import type { Collection, DocumentStore } from "@reelgate/documents";
import type { BalanceView } from "./balance-view.ts";
import { type MigrationRecord, migrateHistoryKeys } from "./history-migration.ts";
import type { VideoEventRow } from "./video-history.ts";
import type { VideoDocument } from "./video-view.ts";

export interface KeyView {
  id: string;
  accountId: string;
  name: string;
  sha256: string;
  revoked: boolean;
}

/** A create answered under an Idempotency-Key (see http/idempotency.ts). */
export interface IdempotencyRecord {
  id: string;
  fingerprint: string;
  createdAt: number;
  state: "pending" | "done";
  response: unknown;
  /** While pending: the attempt holding the key (its process instance and a random id), for the logs and to let go. */
  holder?: string;
  /** While pending: the holder renews this while its request runs; past it, the holder is taken for dead. */
  leaseUntil?: number;
}

export interface Views {
  /** Started by any event about a video; served once its VideoRequested is in (`isRequested`). */
  videos: Collection<VideoDocument>;
  balances: Collection<BalanceView>;
  keys: Collection<KeyView>;
  /** Every event about a video, from all four services, one document per event keyed by video (the admin history). */
  videoEvents: Collection<VideoEventRow>;
  /** Not a projection: ingress's own memory of Idempotency-Keys (never rebuilt). */
  idempotency: Collection<IdempotencyRecord>;
}

/**
 * The videos' queries, each served by one compound index: the balance check sums one account's pending quotes
 * (`sum("pendingQuoteMicros", { accountId })`), the list pages one account's videos by time (`find` on
 * `{ accountId, deleted }` by `createdAtMs`). No query names one of these fields alone, so none has an index
 * of its own: each would be one more b-tree written by every update of a video (services/ingress/test/video-queries).
 */
export const videoCollection = {
  fields: ["accountId", "createdAtMs", "pendingQuoteMicros", "deleted"],
  compound: [["accountId", "deleted", "createdAtMs"]],
  // Only the videos billing has not answered yet: the others (nearly all) hold null, and a video whose quote
  // is answered leaves the index instead of moving to a random place among the account's nulls.
  partial: [["accountId", "pendingQuoteMicros"]],
};

/**
 * Documents read per request kept in the store's exact read cache (libs/documents): every request's key, every
 * create's balance, and the videos clients poll. A cached video is ~1.7 KiB of heap (measured), so ~3.4 MiB at most.
 */
export const keyCacheSize = 10_000;
export const videoCacheSize = 2_000;
/** Accounts whose balance a create reads (~0.3 KiB each). */
export const balanceCacheSize = 10_000;

/** Ingress's read models, with the fields its queries filter and sort on indexed; older layouts migrated on open. */
export const openViews = async (documents: DocumentStore): Promise<Views> => {
  const views: Views = {
    videos: await documents.collection<VideoDocument>("videos", { ...videoCollection, cache: videoCacheSize }),
    // Read by every create (the funds check) and written by the projection on each billing event: cached, the
    // create reads no row and parses nothing while the account's balance has not moved.
    balances: await documents.collection<BalanceView>("balances", { indexes: [], cache: balanceCacheSize }),
    // Every request looks its key up by hash; nothing queries keys by account or revocation.
    keys: await documents.collection<KeyView>("keys", {
      indexes: ["sha256"],
      fields: ["accountId", "revoked"],
      cache: keyCacheSize,
    }),
    // ~10 rows per video, each written to every index: only what a query needs. A video's history is a range of
    // the primary key (ids `{videoId}:{eventId}`), a handful of rows sorted in memory, so no index by video; the
    // admin's channel list reads the newest events of all videos by occurredAtMs.
    videoEvents: await documents.collection<VideoEventRow>("video_events", { indexes: ["occurredAtMs"] }),
    idempotency: await documents.collection<IdempotencyRecord>("idempotency", { indexes: [] }),
  };
  await migrateHistoryKeys(
    views.videoEvents,
    await documents.collection<MigrationRecord>("migrations", { indexes: [] }),
  );
  return views;
};
