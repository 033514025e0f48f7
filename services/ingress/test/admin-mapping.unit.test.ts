import { type Envelope, ledgerEntrySchema } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import { toLedgerEntry } from "../src/views/ledger-entry.ts";
import { historyItem, historyVideoIdOf, orderHistory, toVideoEventView } from "../src/views/video-history.ts";

let n = 0;
const envelope = (
  type: string,
  version: number,
  data: object,
  {
    stream = "account-acct_1",
    at = "2026-01-01T00:00:00.000Z",
    correlationId = "acct_1",
    id = `evt_${++n}`,
    causationId = null as string | null,
  } = {},
): Envelope => ({
  id,
  type,
  schemaVersion: 1,
  stream,
  version,
  occurredAt: at,
  correlationId,
  causationId,
  accountId: "acct_1",
  data,
});

describe("a billing event as a ledger entry", () => {
  it("shows an opening with the totals and nulls for what it does not carry", () => {
    const entry = toLedgerEntry(
      envelope("AccountOpened", 1, { accountId: "acct_1", name: "a", balanceMicros: 10_000_000, reservedMicros: 0 }),
    );
    expect(ledgerEntrySchema.parse(entry)).toEqual(entry);
    expect(entry).toMatchObject({
      object: "ledger.entry",
      version: 1,
      type: "AccountOpened",
      occurred_at: "2026-01-01T00:00:00.000Z",
      video_id: null,
      amount_usd: null,
      quoted_usd: null,
      overage_usd: null,
      reference: null,
      reason: null,
      balance_usd: "10.000000",
      reserved_usd: "0.000000",
    });
  });

  it("shows a top-up and a negative adjustment with their reference, as 6-place strings", () => {
    const credited = toLedgerEntry(
      envelope("FundsCredited", 2, {
        amountMicros: 1_500_000,
        reference: "inv-1",
        balanceMicros: 11_500_000,
        reservedMicros: 0,
      }),
    );
    expect(credited).toMatchObject({ amount_usd: "1.500000", reference: "inv-1", balance_usd: "11.500000" });
    const adjusted = toLedgerEntry(
      envelope("FundsAdjusted", 3, {
        amountMicros: -250_000,
        reference: "fix-1",
        balanceMicros: 11_250_000,
        reservedMicros: 0,
      }),
    );
    expect(adjusted).toMatchObject({ amount_usd: "-0.250000", reference: "fix-1", balance_usd: "11.250000" });
  });

  it("shows a reservation, a capture at another price than quoted, a rejection and a release with their video", () => {
    const reserved = toLedgerEntry(
      envelope("FundsReserved", 4, {
        videoId: "video_1",
        amountMicros: 800_000,
        balanceMicros: 9_000_000,
        reservedMicros: 800_000,
      }),
    );
    expect(reserved).toMatchObject({
      video_id: "video_1",
      amount_usd: "0.800000",
      quoted_usd: null,
      overage_usd: null,
      reserved_usd: "0.800000",
    });
    const captured = toLedgerEntry(
      envelope("ReservationCaptured", 5, {
        videoId: "video_1",
        quotedMicros: 800_000,
        amountMicros: 1_200_000,
        model: "sora-2",
        seconds: "12",
        size: "720x1280",
        balanceMicros: 7_800_000,
        reservedMicros: 0,
      }),
    );
    expect(captured).toMatchObject({
      video_id: "video_1",
      amount_usd: "1.200000",
      quoted_usd: "0.800000",
      overage_usd: null,
      balance_usd: "7.800000",
      reserved_usd: "0.000000",
    });
    const capped = toLedgerEntry(
      envelope("ReservationCaptured", 5, {
        videoId: "video_1",
        quotedMicros: 400_000,
        amountMicros: 400_000,
        overageMicros: 400_000,
        model: "sora-2",
        seconds: "8",
        size: "720x1280",
        balanceMicros: 7_600_000,
        reservedMicros: 0,
      }),
    );
    expect(capped).toMatchObject({ amount_usd: "0.400000", quoted_usd: "0.400000", overage_usd: "0.400000" });
    const rejected = toLedgerEntry(
      envelope("ReservationRejected", 6, {
        videoId: "video_2",
        amountMicros: 99_000_000,
        reason: "insufficient_quota",
        balanceMicros: 7_800_000,
        reservedMicros: 0,
      }),
    );
    expect(rejected).toMatchObject({ video_id: "video_2", reason: "insufficient_quota", amount_usd: "99.000000" });
    const released = toLedgerEntry(
      envelope("ReservationReleased", 7, {
        videoId: "video_3",
        amountMicros: 400_000,
        reason: "job_failed",
        balanceMicros: 7_800_000,
        reservedMicros: 0,
      }),
    );
    expect(released).toMatchObject({ video_id: "video_3", reason: "job_failed", amount_usd: "0.400000" });
    for (const entry of [reserved, captured, rejected, released]) expect(ledgerEntrySchema.parse(entry)).toEqual(entry);
  });
});

describe("a video's history", () => {
  const videoId = "video_abc";
  it("takes the events correlated with a video, and no others", () => {
    expect(historyVideoIdOf(envelope("FundsReserved", 2, {}, { correlationId: videoId }))).toBe(videoId);
    expect(historyVideoIdOf(envelope("FundsCredited", 2, {}, { correlationId: "acct_1" }))).toBeUndefined();
    expect(
      historyVideoIdOf(envelope("ApiKeyIssued", 1, {}, { correlationId: "key_1", stream: "apikey-key_1" })),
    ).toBeUndefined();
  });

  it("orders oldest first by time, a stream by version, and an effect after its cause even in the same millisecond", () => {
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
    const of = (type: string, stream: string, version: number, ms: number, causationId: string | null = null) =>
      toVideoEventView(
        envelope(
          type,
          version,
          { videoId },
          { id: `evt_${type}`, stream, at: at(ms), correlationId: videoId, causationId },
        ),
        videoId,
      );
    const events = [
      of("MediaStored", `asset-${videoId}`, 1, 30, "evt_JobCompleted"),
      of("JobSubmitted", `job-${videoId}`, 2, 10),
      of("FundsReserved", "account-acct_1", 7, 5, "evt_VideoRequested"),
      of("JobQueued", `job-${videoId}`, 1, 5, "evt_FundsReserved"),
      of("VideoRequested", `task-${videoId}`, 1, 0),
      // Billing's clock a millisecond behind the poller's: the capture still follows the completion it reacts to.
      of("ReservationCaptured", "account-acct_1", 8, 19, "evt_JobCompleted"),
      of("JobCompleted", `job-${videoId}`, 3, 20),
    ];
    const items = orderHistory(events).map(historyItem);
    expect(items.map((item) => item.type)).toEqual([
      "VideoRequested",
      "FundsReserved",
      "JobQueued",
      "JobSubmitted",
      "JobCompleted",
      "ReservationCaptured",
      "MediaStored",
    ]);
    expect(items[0]).toEqual({
      id: "evt_VideoRequested",
      type: "VideoRequested",
      stream: `task-${videoId}`,
      version: 1,
      occurred_at: at(0),
      data: { videoId },
    });
  });
});
