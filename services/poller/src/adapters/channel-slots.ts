import type { KV } from "@nats-io/kv";
import { casUpdate } from "./channel-bucket.ts";

/** Per channel, the videos holding a slot and since when (epoch ms). */
type Holders = Record<string, number>;

export interface ChannelSlots {
  /**
   * Takes a slot on the channel for the video, if one is free (or the video holds one already).
   * When the channel looks full, `isDone` is asked about each holder: slots of jobs that ended (or
   * went to another channel) without giving theirs back, e.g. after a crash, are reclaimed.
   */
  acquire(channelId: string, videoId: string, maxConcurrent: number | undefined): Promise<boolean>;
  release(channelId: string, videoId: string): Promise<void>;
  /** The videos holding slots on a channel now. */
  holders(channelId: string): Promise<string[]>;
}

/**
 * `max_concurrent` across every poller replica: one KV key per channel holds the videos in flight,
 * changed only by compare-and-set, so two replicas can never both take the last slot. Channels
 * without a limit are not counted at all.
 */
export const channelSlots = (
  kv: KV,
  { isDone, now }: { isDone: (videoId: string, channelId: string) => Promise<boolean>; now: () => number },
): ChannelSlots => {
  const keyOf = (channelId: string) => `slots.${channelId}`;
  return {
    acquire: async (channelId, videoId, maxConcurrent) => {
      if (maxConcurrent === undefined) return true;
      return casUpdate<Holders, boolean>(kv, keyOf(channelId), {}, async (holders) => {
        if (holders[videoId] !== undefined) return { next: undefined, result: true };
        let current = holders;
        if (Object.keys(current).length >= maxConcurrent) {
          const done = await Promise.all(
            Object.keys(current).map(async (id) => [id, await isDone(id, channelId)] as const),
          );
          current = Object.fromEntries(
            Object.entries(current).filter(([id]) => !done.find(([doneId, gone]) => doneId === id && gone)),
          );
        }
        if (Object.keys(current).length >= maxConcurrent)
          // Nothing to take; still write back what was reclaimed, if anything.
          return { next: current === holders ? undefined : current, result: false };
        return { next: { ...current, [videoId]: now() }, result: true };
      });
    },
    release: async (channelId, videoId) => {
      await casUpdate<Holders, void>(kv, keyOf(channelId), {}, (holders) => {
        if (holders[videoId] === undefined) return { next: undefined, result: undefined };
        const { [videoId]: _released, ...rest } = holders;
        return { next: rest, result: undefined };
      });
    },
    holders: async (channelId) => {
      const entry = await kv.get(keyOf(channelId));
      return entry && entry.operation === "PUT" && entry.length > 0 ? Object.keys(entry.json() as Holders) : [];
    },
  };
};
