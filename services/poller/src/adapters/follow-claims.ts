import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";

/**
 * Which message follows a job. Every copy of a JobSubmitted that JetStream holds would start a poll
 * chain of its own, and a republish after the duplicate window is such a copy (another stream
 * sequence, the same event). The first copy to claim the job in KV follows it; the others stop at
 * once. Redeliveries of the claiming message, the polls themselves, pass without a KV call.
 */
export interface FollowClaims {
  /** Whether the message at `streamSequence` is the one that follows this submission. */
  claim(videoId: string, upstreamId: string, streamSequence: number): Promise<boolean>;
  /** The job is over: forget its claim. */
  release(videoId: string, upstreamId: string): Promise<void>;
}

const keyOf = (videoId: string, upstreamId: string) =>
  // KV keys allow few characters; an upstream's id may hold any.
  `follow.${videoId}.${createHash("sha256").update(upstreamId).digest("hex").slice(0, 16)}`;

export const followClaims = (kv: KV): FollowClaims => {
  const known = new Map<string, number>();
  return {
    async claim(videoId, upstreamId, streamSequence) {
      const key = keyOf(videoId, upstreamId);
      const owner = known.get(key);
      if (owner !== undefined) return owner === streamSequence;
      try {
        await kv.create(key, String(streamSequence));
        known.set(key, streamSequence);
        return true;
      } catch (createError) {
        const entry = await kv.get(key);
        if (entry?.operation !== "PUT") throw createError;
        const claimed = Number(entry.string());
        known.set(key, claimed);
        return claimed === streamSequence;
      }
    },
    async release(videoId, upstreamId) {
      const key = keyOf(videoId, upstreamId);
      known.delete(key);
      await kv.delete(key);
    },
  };
};
