import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TypedEnvelope } from "@reelgate/contracts";
import { type DocumentStore, openSqliteDocumentStore } from "@reelgate/documents";
import { afterEach, describe, expect, it } from "vitest";
import { batchedProjection, projectEvent, projectEvents } from "../src/views/projection.ts";
import { historyPrefixOf } from "../src/views/video-history.ts";
import { openViews, type Views } from "../src/views/views.ts";

const accountId = "acct_batch";
let sequence = 0;
const event = (stream: string, version: number, type: string, data: object, correlationId: string) =>
  ({
    id: `evt_${type}_${stream}_${version}_${sequence++}`,
    type,
    schemaVersion: 1,
    stream,
    version,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString(),
    correlationId,
    causationId: null,
    accountId,
    data,
  }) as TypedEnvelope;

/** A video's life as the four services tell it, billing's events on the account's (shared) stream. */
const lifeOf = (videoId: string, accountVersion: number, quoteMicros: number): TypedEnvelope[] => {
  const totals = (reserved: number) => ({ balanceMicros: 10_000_000 - accountVersion, reservedMicros: reserved });
  const spec = { model: "sora-2", seconds: "4", size: "720x1280" };
  return [
    event(
      `task-${videoId}`,
      1,
      "VideoRequested",
      {
        videoId,
        accountId,
        ...spec,
        prompt: "batched",
        quoteMicros,
        remixedFromVideoId: null,
        inputReference: null,
        createdAt: 1_767_225_600,
      },
      videoId,
    ),
    event(
      `account-${accountId}`,
      accountVersion,
      "FundsReserved",
      { videoId, amountMicros: quoteMicros, ...totals(quoteMicros) },
      videoId,
    ),
    event(`job-${videoId}`, 1, "JobQueued", { videoId, ...spec }, videoId),
    event(`job-${videoId}`, 2, "SubmitAttempted", { videoId, channelId: "sim" }, videoId),
    event(`job-${videoId}`, 3, "JobSubmitted", { videoId, channelId: "sim", upstreamId: `up_${videoId}` }, videoId),
    event(`job-${videoId}`, 4, "JobProgressed", { videoId, progress: 30 }, videoId),
    event(`job-${videoId}`, 5, "JobProgressed", { videoId, progress: 70 }, videoId),
    event(
      `job-${videoId}`,
      6,
      "JobCompleted",
      {
        videoId,
        channelId: "sim",
        upstreamId: `up_${videoId}`,
        ...spec,
        variants: ["video"],
        completedAt: 1_767_225_700,
        expiresAt: null,
      },
      videoId,
    ),
    event(
      `asset-${videoId}`,
      1,
      "MediaStored",
      { videoId, variant: "video", key: `videos/${videoId}.mp4`, bytes: 10, sha256: "ab", contentType: "video/mp4" },
      videoId,
    ),
    event(
      `account-${accountId}`,
      accountVersion + 1,
      "ReservationCaptured",
      { videoId, quotedMicros: quoteMicros, amountMicros: quoteMicros, ...spec, ...totals(0) },
      videoId,
    ),
  ];
};

/** A deterministic shuffle (mulberry32), so a failing seed can be run again. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

const everything = async (views: Views) => ({
  videos: await collect(views.videos.all()),
  balances: await collect(views.balances.all()),
  history: await collect(views.videoEvents.all()),
});
const collect = async <T>(items: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe("the projection applied a batch at a time", () => {
  const opened: { dir: string; documents: DocumentStore }[] = [];
  const open = async () => {
    const dir = mkdtempSync(join(tmpdir(), "reelgate-batch-"));
    const documents = openSqliteDocumentStore(join(dir, "views.db"));
    opened.push({ dir, documents });
    return openViews(documents);
  };
  afterEach(async () => {
    for (const { dir, documents } of opened.splice(0)) {
      await documents.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const events = [...lifeOf("video_batch1", 2, 400_000), ...lifeOf("video_batch2", 4, 800_000)];

  it("gives the documents of one-by-one projection, in any order, batching and redelivery", async () => {
    const reference = await open();
    for (const each of events) await projectEvent(reference, each);
    const expected = await everything(reference);
    expect(expected.videos.map((doc) => doc.job?.state)).toEqual(["completed", "completed"]);
    expect(expected.history).toHaveLength(events.length);

    for (let seed = 1; seed <= 6; seed++) {
      const next = random(seed);
      // Every event once or twice, shuffled, cut into batches of 1 to 8.
      const deliveries = [...events, ...events.filter(() => next() < 0.5)]
        .map((each) => ({ each, key: next() }))
        .sort((a, b) => a.key - b.key)
        .map(({ each }) => each);
      const views = await open();
      for (let at = 0; at < deliveries.length; ) {
        const size = 1 + Math.floor(next() * 8);
        const results = await projectEvents(views, deliveries.slice(at, at + size));
        expect(results.every((result) => result.ok)).toBe(true);
        at += size;
      }
      expect(await everything(views), `seed ${seed}`).toEqual(expected);
    }
  });

  it("folds one video's events into one write, and reports each event's outcome", async () => {
    const views = await open();
    const life = lifeOf("video_batch3", 2, 400_000);
    const results = await projectEvents(views, life);
    expect(results.every((result) => result.ok && result.outcome === "applied")).toBe(true);
    // One put for the whole life: the document's first revision.
    expect((await views.videos.get("video_batch3"))?.rev).toBe(1);
    // Again, as a redelivery: history inserts conflict, and nothing changes.
    const again = await projectEvents(views, life);
    expect(again.map((result) => result.ok && result.outcome)).toEqual(life.map(() => "unchanged"));
    expect((await views.videos.get("video_batch3"))?.rev).toBe(1);
    expect(await views.videoEvents.find({ idPrefix: historyPrefixOf("video_batch3") })).toHaveLength(life.length);
  });

  it("reads and writes no video document for the events the view ignores, and still records them", async () => {
    const views = await open();
    const ignored = lifeOf("video_batch4", 2, 400_000).filter((each) =>
      ["JobQueued", "SubmitAttempted"].includes(each.type),
    );
    const results = await projectEvents(views, ignored);
    expect(results.map((result) => result.ok && result.outcome)).toEqual(["applied", "applied"]);
    expect(await views.videos.get("video_batch4")).toBeUndefined();
    expect(await views.videoEvents.find({ idPrefix: historyPrefixOf("video_batch4") })).toHaveLength(2);
  });

  it("projects at most a slice of the events handled in one turn per turn, with the documents of one by one", async () => {
    const reference = await open();
    for (const each of events) await projectEvent(reference, each);
    const views = await open();
    // Turns of the event loop, counted by a callback that queues itself again each turn.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const historyPerTurn = new Map<number, number>();
    const put = views.videoEvents.put.bind(views.videoEvents);
    views.videoEvents.put = (doc, rev) => {
      historyPerTurn.set(turn, (historyPerTurn.get(turn) ?? 0) + 1);
      return put(doc, rev);
    };
    const handle = batchedProjection(views, 4);
    await Promise.all(events.map((each) => handle(each)));
    ticking = false;
    expect([...historyPerTurn.values()].reduce((a, b) => a + b, 0)).toBe(events.length);
    expect(Math.max(...historyPerTurn.values())).toBeLessThanOrEqual(4);
    expect(historyPerTurn.size).toBeGreaterThanOrEqual(Math.ceil(events.length / 4));
    expect(await everything(views)).toEqual(await everything(reference));
  });

  it("fails an event that cannot be projected alone, never the neighbours it was batched with", async () => {
    const views = await open();
    const handle = batchedProjection(views);
    const [requested, reserved] = lifeOf("video_batch5", 2, 400_000);
    // An owner that is no indexable value: writing the video's document with it throws.
    const broken = {
      ...requested!,
      data: { ...requested!.data, accountId: { not: "a string" } },
    } as unknown as TypedEnvelope;
    const unknownStream = { ...reserved!, id: "evt_unknown", stream: "nonsense-1" } as TypedEnvelope;
    const outcomes = await Promise.allSettled([handle(broken), handle(reserved!), handle(unknownStream)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "fulfilled", "rejected"]);
    // The reservation went in on its own: it started the video's document.
    expect((await views.videos.get("video_batch5"))?.doc).toMatchObject({ task: null, billing: { state: "reserved" } });
  });
});
