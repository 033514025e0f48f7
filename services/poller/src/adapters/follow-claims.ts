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
  /** The stream sequence this process knows to hold the claim (its own claims, and ones it was refused by); no KV call. */
  knownOwner(videoId: string, upstreamId: string): number | undefined;
  /** The job is over: forget its claim. */
  release(videoId: string, upstreamId: string): Promise<void>;
}

export const followKeyOf = (videoId: string, upstreamId: string) =>
  // KV keys allow few characters; an upstream's id may hold any.
  `follow.${videoId}.${createHash("sha256").update(upstreamId).digest("hex").slice(0, 16)}`;

export const followClaims = (kv: KV): FollowClaims => {
  /** By video and upstream id: what is known here needs no hash of the id. */
  const known = new Map<string, number>();
  const localKey = (videoId: string, upstreamId: string) => `${videoId} ${upstreamId}`;
  const remember = (videoId: string, upstreamId: string, owner: number) =>
    known.set(localKey(videoId, upstreamId), owner);
  const knownOwner = (videoId: string, upstreamId: string) => known.get(localKey(videoId, upstreamId));
  return {
    knownOwner,
    async claim(videoId, upstreamId, streamSequence) {
      const owner = knownOwner(videoId, upstreamId);
      if (owner !== undefined) return owner === streamSequence;
      const key = followKeyOf(videoId, upstreamId);
      try {
        await kv.create(key, String(streamSequence));
        remember(videoId, upstreamId, streamSequence);
        return true;
      } catch (createError) {
        const entry = await kv.get(key);
        if (entry?.operation !== "PUT") throw createError;
        const claimed = Number(entry.string());
        remember(videoId, upstreamId, claimed);
        return claimed === streamSequence;
      }
    },
    async release(videoId, upstreamId) {
      known.delete(localKey(videoId, upstreamId));
      await kv.delete(followKeyOf(videoId, upstreamId));
    },
  };
};
