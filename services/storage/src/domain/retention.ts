import type { Envelope } from "@reelgate/contracts";

/** Videos whose media storage holds, with when their first object was recorded (epoch ms). */
export type RetentionIndex = Map<string, { accountId: string | null; since: number }>;

/**
 * Follows the asset events: a video enters when its first object (media or input image) is
 * recorded and leaves when its media is deleted. Events must come in store order.
 */
export const applyToRetentionIndex = (index: RetentionIndex, event: Envelope): void => {
  const videoId = event.correlationId;
  if (event.type === "MediaDeleted") {
    index.delete(videoId);
    return;
  }
  if ((event.type === "MediaStored" || event.type === "InputImageNoted") && !index.has(videoId)) {
    index.set(videoId, { accountId: event.accountId, since: Date.parse(event.occurredAt) });
  }
};

/** The videos whose media was recorded at or before `cutoffMs`, oldest first. */
export const dueForDeletion = (index: RetentionIndex, cutoffMs: number) =>
  [...index.entries()]
    .filter(([, entry]) => entry.since <= cutoffMs)
    .sort(([, a], [, b]) => a.since - b.since)
    .map(([videoId, entry]) => ({ videoId, accountId: entry.accountId }));

/** How often to look: often enough that media outlives its retention by at most a quarter, at most hourly. */
export const sweepIntervalMs = (retentionMs: number) => Math.min(3_600_000, Math.max(1_000, retentionMs / 4));
