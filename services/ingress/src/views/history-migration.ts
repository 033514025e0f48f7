import { type Collection, RevisionConflict } from "@reelgate/documents";
import { historyRowId, type VideoEventRow } from "./video-history.ts";

/** A migration of ingress's read model that has run on this database. */
export interface MigrationRecord {
  id: string;
  at: string;
}

const historyKeyedByVideo = "video_events:keyed-by-video";
const batchSize = 500;

/** A history row as written before rows were keyed by video: keyed by the event's id, with the video beside it. */
type OldRow = VideoEventRow & { videoId: string };
const isOld = (row: VideoEventRow): row is OldRow => typeof (row as Partial<OldRow>).videoId === "string";

const rekeyed = ({ videoId, id, type, stream, version, occurredAt, occurredAtMs, causationId, data }: OldRow) => ({
  id: historyRowId(videoId, id),
  type,
  stream,
  version,
  occurredAt,
  occurredAtMs,
  causationId,
  data,
});

/**
 * Moves history rows written before they were keyed `{videoId}:{eventId}` to their new ids: once per database
 * (`migrations` records it), in batches, each row inserted under its new id before the old one is deleted, both
 * idempotent (an insert that finds the row there wrote nothing), so a crash midway or two replicas opening the
 * same database at once lose and duplicate nothing: the next opening finishes the work. Returns the rows moved.
 */
export const migrateHistoryKeys = async (
  history: Collection<VideoEventRow>,
  migrations: Collection<MigrationRecord>,
  now: () => Date = () => new Date(),
) => {
  if (await migrations.get(historyKeyedByVideo)) return 0;
  let moved = 0;
  let batch: OldRow[] = [];
  const move = async () => {
    const rows = batch;
    batch = [];
    // Queued together: the SQLite store commits each half of the batch in one transaction.
    await Promise.all(
      rows.map((row) =>
        history.put(rekeyed(row), null).catch((error: unknown) => {
          if (!(error instanceof RevisionConflict)) throw error;
        }),
      ),
    );
    await Promise.all(rows.map((row) => history.delete(row.id)));
    moved += rows.length;
  };
  // In id order, by keyset: the rows moved (`video_…`) may come round again, and are no longer old.
  for await (const row of history.all()) {
    if (!isOld(row)) continue;
    batch.push(row);
    if (batch.length >= batchSize) await move();
  }
  await move();
  await migrations.put({ id: historyKeyedByVideo, at: now().toISOString() }, null).catch((error: unknown) => {
    // Another replica finished first.
    if (!(error instanceof RevisionConflict)) throw error;
  });
  return moved;
};
