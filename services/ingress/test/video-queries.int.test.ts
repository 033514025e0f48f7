import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { historyPrefixOf } from "../src/views/video-history.ts";
import { openViews, type Views } from "../src/views/views.ts";

/**
 * Every query ingress runs against its read model (the API, the admin routes, the console through them, the
 * CLI), with the plan SQLite chooses for it: each is served by an index, so an index the collections no longer
 * declare (views.ts) is one no query needed. The plans are read from the statements the adapter prepares.
 */
describe("the plans of ingress's read-model queries", () => {
  let dir: string;
  let path: string;
  let views: Views;
  let close: () => Promise<void>;
  let prepared: string[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-queries-"));
    path = join(dir, "views.db");
    const documents = openSqliteDocumentStore(path);
    views = await openViews(documents);
    close = () => documents.close();
    prepared = [];
    const prepare = DatabaseSync.prototype.prepare;
    vi.spyOn(DatabaseSync.prototype, "prepare").mockImplementation(function (this: DatabaseSync, sql: string) {
      prepared.push(sql);
      return prepare.call(this, sql);
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The plans of the SELECTs `run` prepared (each statement is prepared once per store, on first use). */
  const plansOf = async (run: () => Promise<unknown>) => {
    prepared = [];
    await run();
    const selects = prepared.filter((sql) => sql.startsWith("SELECT"));
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return selects.map((sql) => {
        const params = (sql.match(/\?/g) ?? []).map(() => null);
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params);
        const detail = plan.map((step) => String(step.detail)).join("; ");
        if (process.env.SHOW_PLANS) console.log(`${sql}\n  -> ${detail}`);
        return detail;
      });
    } finally {
      db.close();
    }
  };

  it("the balance check's pending-quote sum reads only the account's entries of one compound index", async () => {
    const [plan] = await plansOf(() => views.videos.sum("pendingQuoteMicros", { accountId: "acct_1" }));
    expect(plan).toMatch(
      /^SEARCH videos USING COVERING INDEX videos__accountId_pendingQuoteMicros \(ix_accountId=\? AND ix_pendingQuoteMicros>\?\)$/,
    );
  });

  it("a list page, either order, first and following pages, seeks the account's videos in time order", async () => {
    for (const direction of ["asc", "desc"] as const) {
      const first = await plansOf(() =>
        views.videos.find({
          where: { accountId: "a", deleted: false },
          orderBy: { field: "createdAtMs", direction },
          limit: 21,
        }),
      );
      const next = await plansOf(() =>
        views.videos.find({
          where: { accountId: "a", deleted: false },
          orderBy: { field: "createdAtMs", direction },
          after: { value: 5, id: "video_x" },
          limit: 21,
        }),
      );
      // The page after a cursor is two runs: past the cursor's value, then the null values (none here).
      expect([first.length, next.length]).toEqual([1, direction === "desc" ? 2 : 1]);
      for (const plan of [...first, ...next]) {
        expect(plan).toMatch(
          /^SEARCH videos USING INDEX videos__accountId_deleted_createdAtMs \(ix_accountId=\? AND ix_deleted=\?/,
        );
        // Read in the index's order: no sort of its own.
        expect(plan).not.toMatch(/TEMP B-TREE/);
      }
    }
  });

  it("point reads: a video, a balance, an idempotency record by id; a key by its hash", async () => {
    const plans = await plansOf(async () => {
      await views.videos.get("video_x");
      await views.balances.get("acct_1");
      await views.idempotency.get("k");
      await views.keys.getBy("sha256", "ab");
    });
    expect(plans).toEqual([
      "SEARCH videos USING INDEX sqlite_autoindex_videos_1 (id=?)",
      "SEARCH balances USING INDEX sqlite_autoindex_balances_1 (id=?)",
      "SEARCH idempotency USING INDEX sqlite_autoindex_idempotency_1 (id=?)",
      expect.stringMatching(/^SEARCH keys USING INDEX keys__sha256 \(ix_sha256=\?\)/),
    ]);
  });

  it("the admin's history of a video, channel list and account list", async () => {
    const [history] = await plansOf(() => views.videoEvents.find({ idPrefix: historyPrefixOf("video_x") }));
    // A video's handful of events, a range of the primary key (ids `{videoId}:{eventId}`), sorted in memory.
    expect(history).toBe("SEARCH video_events USING INDEX sqlite_autoindex_video_events_1 (id>? AND id<?)");
    const since = await plansOf(async () => {
      await views.videoEvents.find({ orderBy: { field: "occurredAtMs", direction: "desc" }, limit: 1000 });
      await views.videoEvents.find({
        orderBy: { field: "occurredAtMs", direction: "desc" },
        limit: 1000,
        after: { value: 5, id: "evt_x" },
      });
    });
    expect(since).toHaveLength(3);
    for (const plan of since) expect(plan).toMatch(/video_events USING INDEX video_events__occurredAtMs/);
    const accounts = await plansOf(() =>
      views.balances.find({ orderBy: { field: "id", direction: "asc" }, limit: 51, after: { value: "a", id: "a" } }),
    );
    for (const plan of accounts)
      expect(plan).toMatch(/^SEARCH balances USING INDEX sqlite_autoindex_balances_1 \(id>\?\)$/);
  });
});
