import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TypedEnvelope } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { projectEvent } from "../src/views/projection.ts";
import { fromVideoEventRow, historyPrefixOf, historyRowId } from "../src/views/video-history.ts";
import { openViews, type Views } from "../src/views/views.ts";

const videoId = "video_history1";
const event = (id: string, stream: string, version: number, type: string, data: object, correlationId = videoId) =>
  ({
    id,
    type,
    schemaVersion: 1,
    stream,
    version,
    occurredAt: `2026-01-01T00:00:0${version}.000Z`,
    correlationId,
    causationId: null,
    accountId: "acct_1",
    data,
  }) as TypedEnvelope;

const requested = event("evt_req", `task-${videoId}`, 1, "VideoRequested", {
  videoId,
  accountId: "acct_1",
  model: "sora-2",
  seconds: "4",
  size: "720x1280",
  prompt: "history",
  quoteMicros: 400_000,
  remixedFromVideoId: null,
  inputReference: null,
  createdAt: 1_767_225_600,
});
const reserved = event("evt_res", "account-acct_1", 2, "FundsReserved", {
  videoId,
  amountMicros: 400_000,
  balanceMicros: 1_000_000,
  reservedMicros: 400_000,
});
const credited = event(
  "evt_cred",
  "account-acct_1",
  3,
  "FundsCredited",
  { amountMicros: 1, reference: "r", balanceMicros: 1_000_001, reservedMicros: 400_000 },
  "acct_1",
);

describe("the video history the projection keeps", () => {
  let dir: string;
  let views: Views;
  let close: () => Promise<void>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-history-"));
    const documents = openSqliteDocumentStore(join(dir, "views.db"));
    views = await openViews(documents);
    close = () => documents.close();
  });
  afterEach(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records each event about a video once, whatever the order and however often it is delivered", async () => {
    // The reservation first: it starts the video's document (not served yet), and the history keeps it.
    expect(await projectEvent(views, reserved)).toBe("applied");
    expect((await views.videos.get(videoId))?.doc).toMatchObject({ task: null, billing: { state: "reserved" } });
    expect(await projectEvent(views, requested)).toBe("applied");
    expect(await projectEvent(views, reserved)).toBe("unchanged");
    await projectEvent(views, reserved);
    await projectEvent(views, requested);
    await projectEvent(views, credited);
    const docs = (await views.videoEvents.find({ idPrefix: historyPrefixOf(videoId) })).map(fromVideoEventRow);
    expect(docs.map((doc) => doc.id).sort()).toEqual(["evt_req", "evt_res"]);
    expect(await views.videoEvents.count()).toBe(2);
    const row = await views.videoEvents.get(historyRowId(videoId, "evt_res"));
    expect(row && fromVideoEventRow(row.doc)).toMatchObject({
      videoId,
      type: "FundsReserved",
      stream: "account-acct_1",
      version: 2,
      occurredAtMs: Date.parse("2026-01-01T00:00:02.000Z"),
    });
  });
});
