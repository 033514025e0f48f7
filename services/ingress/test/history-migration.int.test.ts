import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { TypedEnvelope } from "@reelgate/contracts";
import { type DocumentStore, openSqliteDocumentStore } from "@reelgate/documents";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateHistoryKeys } from "../src/views/history-migration.ts";
import { projectEvents } from "../src/views/projection.ts";
import {
  historyPrefixOf,
  historyRowId,
  toVideoEventRow,
  toVideoEventView,
  type VideoEventRow,
  type VideoEventView,
} from "../src/views/video-history.ts";
import { openViews, type Views } from "../src/views/views.ts";

/** 130 videos of ten events each: more rows than one batch of the migration (500) holds, three times over. */
const videoIds = Array.from({ length: 130 }, (_, n) => `video_${n.toString(16).padStart(32, "0")}`);
const eventsOf = (videoId: string, n: number): TypedEnvelope[] =>
  Array.from(
    { length: 10 },
    (_, version) =>
      ({
        id: `evt_${n}_${version}_${Math.random().toString(36).slice(2, 10)}`,
        type: version === 0 ? "VideoRequested" : "JobProgressed",
        schemaVersion: 1,
        stream: `job-${videoId}`,
        version: version + 1,
        occurredAt: new Date(Date.UTC(2026, 0, 1) + n * 1000 + version).toISOString(),
        correlationId: videoId,
        causationId: null,
        accountId: "acct_1",
        data: { videoId, progress: version },
      }) as TypedEnvelope,
  );
const byVideo = new Map(videoIds.map((videoId, n) => [videoId, eventsOf(videoId, n)]));
const allEvents = [...byVideo.values()].flat();

/** What the old layout held: one row per event keyed by the event's id, the video beside it, indexed by video. */
const oldRow = (event: TypedEnvelope): VideoEventView => toVideoEventView(event, event.correlationId);
const openOld = (documents: DocumentStore) =>
  documents.collection<VideoEventView>("video_events", { indexes: ["videoId", "occurredAtMs"] });

describe("history rows keyed by event, moved to {videoId}:{eventId} when ingress opens its read model", () => {
  let dir: string;
  let path: string;
  const stores: DocumentStore[] = [];
  const open = () => {
    const store = openSqliteDocumentStore(path);
    stores.push(store);
    return store;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-history-migration-"));
    path = join(dir, "views.db");
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every video's history is exactly the rows the projection writes for its events, and nothing else is left. */
  const expectEveryHistory = async (views: Views) => {
    for (const [videoId, events] of byVideo) {
      const rows = await views.videoEvents.find({ idPrefix: historyPrefixOf(videoId) });
      const expected = events.map((event) => toVideoEventRow(event, videoId)).sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(rows, videoId).toEqual(expected);
    }
    expect(await views.videoEvents.count()).toBe(allEvents.length);
  };

  const writeOld = async (rows: VideoEventView[]) => {
    // Through the old declaration, so the database has the old index by video too.
    const old = open();
    const history = await openOld(old);
    await Promise.all(rows.map((row) => history.put(row, null)));
    await old.close();
    stores.splice(stores.indexOf(old), 1);
  };

  it("finds every history of an old database, drops the index by video, and runs once", async () => {
    await writeOld(allEvents.map(oldRow));
    const views = await openViews(open());
    await expectEveryHistory(views);
    const db = new DatabaseSync(path, { readOnly: true });
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'video_events'")
      .all();
    db.close();
    expect(indexes.map((index) => index.name).sort()).toEqual([
      "sqlite_autoindex_video_events_1",
      "video_events__occurredAtMs",
    ]);
    // Done: the next opening reads one record and moves nothing (an old row written now would stay).
    const documents = open();
    await openViews(documents);
    const migrations = await documents.collection<{ id: string; at: string }>("migrations", { indexes: [] });
    const history = await documents.collection<VideoEventRow>("video_events", { indexes: ["occurredAtMs"] });
    expect(await migrateHistoryKeys(history, migrations)).toBe(0);
  });

  it("a redelivered event writes nothing after the move: its row is the one the move made", async () => {
    await writeOld(allEvents.map(oldRow));
    const views = await openViews(open());
    await projectEvents(views, allEvents);
    await expectEveryHistory(views);
    const sample = allEvents[17]!;
    expect((await views.videoEvents.get(historyRowId(sample.correlationId, sample.id)))?.rev).toBe(1);
  });

  it("finishes a move a crash cut short, beside rows the new projection already wrote", async () => {
    // The first rows moved but not yet deleted (a crash between the two commits), the next only old, the last
    // only new (written by the projection of a process that crashed before recording the move as done).
    const moved = allEvents.slice(0, 300);
    const newOnly = allEvents.slice(1000);
    await writeOld([
      ...allEvents.slice(0, 1000).map(oldRow),
      ...[...moved, ...newOnly].map((event) => toVideoEventRow(event, event.correlationId) as VideoEventView),
    ]);
    await expectEveryHistory(await openViews(open()));
  });

  it("two replicas opening the same old database at once move each row once", async () => {
    await writeOld(allEvents.map(oldRow));
    const [one, two] = await Promise.all([openViews(open()), openViews(open())]);
    await expectEveryHistory(one);
    await expectEveryHistory(two);
  });
});
