import type { Envelope } from "@reelgate/contracts";

/** What the asset events say about one video's retention clock (times in epoch ms). */
export interface RetentionEntry {
  accountId: string | null;
  /** When the main video variant was settled (stored, or recorded as failed); null while it is pending. */
  videoSettledAt: number | null;
  /** When the input image was noted, if the video has one. */
  inputNotedAt: number | null;
}

/** Videos whose media storage holds (or is about to hold), keyed by video id. */
export type RetentionIndex = Map<string, RetentionEntry>;

export interface RetentionClock {
  /**
   * How long after its input image a video whose main variant never settled is still waited for:
   * the job deadline plus the window in which a late completion can still arrive. After it, the
   * input image's own age counts (a job that never completes must not keep it forever).
   */
  unsettledGraceMs: number;
}

const variantOf = (event: Envelope) => (event.data as { variant?: unknown } | null)?.variant;

/**
 * Follows the asset events (in store order): a video enters with its first record and leaves
 * when its media is deleted. Its retention clock starts when the main video variant is settled,
 * never at a thumbnail or spritesheet stored while the video's copy is still being retried.
 */
export const applyToRetentionIndex = (index: RetentionIndex, event: Envelope): void => {
  const videoId = event.correlationId;
  if (event.type === "MediaDeleted") {
    index.delete(videoId);
    return;
  }
  if (event.type !== "MediaStored" && event.type !== "MediaStorageFailed" && event.type !== "InputImageNoted") return;
  const at = Date.parse(event.occurredAt);
  const entry = index.get(videoId) ?? { accountId: event.accountId, videoSettledAt: null, inputNotedAt: null };
  if (event.type === "InputImageNoted" && entry.inputNotedAt === null) entry.inputNotedAt = at;
  if (event.type !== "InputImageNoted" && variantOf(event) === "video" && entry.videoSettledAt === null)
    entry.videoSettledAt = at;
  entry.accountId ??= event.accountId;
  index.set(videoId, entry);
};

/**
 * When a video's retention starts: when its main video settled; for a video that never settled,
 * its input image's noting plus the grace (a job that is still running has no clock at all).
 */
export const retentionStart = (entry: RetentionEntry, { unsettledGraceMs }: RetentionClock): number | null => {
  if (entry.videoSettledAt !== null) return entry.videoSettledAt;
  if (entry.inputNotedAt !== null) return entry.inputNotedAt + unsettledGraceMs;
  return null;
};

/** The videos whose retention started at or before `cutoffMs`, oldest first. */
export const dueForDeletion = (index: RetentionIndex, cutoffMs: number, clock: RetentionClock) =>
  [...index.entries()]
    .map(([videoId, entry]) => ({ videoId, accountId: entry.accountId, since: retentionStart(entry, clock) }))
    .filter((due): due is { videoId: string; accountId: string | null; since: number } => due.since !== null)
    .filter((due) => due.since <= cutoffMs)
    .sort((a, b) => a.since - b.since)
    .map(({ videoId, accountId }) => ({ videoId, accountId }));

/** How often to look: often enough that media outlives its retention by at most a quarter, at most hourly. */
export const sweepIntervalMs = (retentionMs: number) => Math.min(3_600_000, Math.max(1_000, retentionMs / 4));
