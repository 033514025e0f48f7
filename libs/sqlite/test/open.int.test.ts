import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../src/open.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FRAME_BYTES = 4096 + 24;

describe("openSqliteDatabase", () => {
  it("opens in WAL mode, synchronous NORMAL", () => {
    const db = openSqliteDatabase(join(dir, "settings.db"));
    expect(db.prepare("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(db.prepare("PRAGMA synchronous").get()?.synchronous).toBe(1); // NORMAL
    db.close();
  });

  it("lets the WAL grow to ~4,000 pages before a checkpoint, and no further", () => {
    const path = join(dir, "wal.db");
    const db = openSqliteDatabase(path);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const row = "x".repeat(3_000); // about a page per row
    const walPages = () => statSync(`${path}-wal`).size / FRAME_BYTES;
    const commitPages = (pages: number) => {
      for (let i = 0; i < pages; i += 10) {
        db.exec("BEGIN");
        for (let j = 0; j < 10; j++) insert.run(row);
        db.exec("COMMIT");
      }
    };
    // SQLite's default (1,000) would have checkpointed and restarted the WAL from its start long before.
    commitPages(3_000);
    expect(walPages()).toBeGreaterThan(2_500);
    // The file is reused from its start after a checkpoint: it never holds much more than 4,000 pages.
    commitPages(20_000);
    expect(walPages()).toBeLessThan(4_500);
    db.close();
  });
});
