import type { TypedEnvelope } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import { applyToOutcome, terminalEventOf, type VideoOutcome } from "../src/domain/video-outcome.ts";

const envelope = (type: string, data: Record<string, unknown>, version = 1): TypedEnvelope =>
  ({
    id: `evt_${type}_${version}`,
    type,
    schemaVersion: 1,
    stream: "x-video_1",
    version,
    occurredAt: new Date(0).toISOString(),
    correlationId: "video_1",
    causationId: null,
    accountId: "acct_1",
    data: { videoId: "video_1", ...data },
  }) as TypedEnvelope;

const completed = envelope("JobCompleted", {}, 3);
const stored = (variant: string) => envelope("MediaStored", { variant }, 1);
const fold = (events: TypedEnvelope[]) =>
  events.reduce<VideoOutcome | undefined>((view, event) => applyToOutcome(view, event) ?? view, undefined)!;

describe("a video's terminal outcome, as its GET answers it", () => {
  it("is completed only once the job completed and the video media is settled, in any order", () => {
    expect(terminalEventOf(fold([completed]))).toBeNull();
    expect(terminalEventOf(fold([completed, stored("thumbnail")]))).toBeNull();
    expect(terminalEventOf(fold([completed, stored("video")]))).toBe("video.completed");
    expect(terminalEventOf(fold([stored("video"), completed]))).toBe("video.completed");
    const copyFailed = envelope("MediaStorageFailed", { variant: "video", reason: "gone", fallback: null });
    expect(terminalEventOf(fold([completed, copyFailed]))).toBe("video.completed");
  });

  it("is failed on a failed job or a rejected reservation, media or not", () => {
    expect(terminalEventOf(fold([envelope("JobFailed", { code: "x", message: "y" }, 4)]))).toBe("video.failed");
    expect(terminalEventOf(fold([envelope("ReservationRejected", { reason: "funds" })]))).toBe("video.failed");
  });

  it("follows the job's latest terminal event by version (a late completion after a deadline failure)", () => {
    const failed = envelope("JobFailed", { code: "timeout", message: "late" }, 4);
    const late = envelope("JobCompletedLate", {}, 5);
    expect(terminalEventOf(fold([failed, late, stored("video")]))).toBe("video.completed");
    expect(terminalEventOf(fold([late, failed, stored("video")]))).toBe("video.completed");
  });

  it("takes the account from VideoRequested or the envelope, and changes nothing on a repeat", () => {
    const view = fold([completed]);
    expect(view.accountId).toBe("acct_1");
    expect(applyToOutcome(view, completed)).toBeUndefined();
  });
});
