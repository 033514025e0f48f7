import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";

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

/** Who holds a slot, and since when (epoch ms). */
interface Slot {
  videoId: string;
  since: number;
}

/** Keys tried per round of one admission; a refusal refreshes what this process knows of the key. */
const TRIES_PER_ROUND = 2;
/** Rounds of one admission before it answers "no room now" (the caller asks again shortly). */
const MAX_ROUNDS = 5;

const live = (entry: KvEntry | null): entry is KvEntry =>
  entry !== null && entry.operation === "PUT" && entry.length > 0;

/** A write refused because the key moved on (another admitter took or freed the slot first). */
const isConflict = (error: unknown) =>
  error instanceof JetStreamApiError &&
  (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
    error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);

/**
 * `max_concurrent` across every poller replica, as `max_concurrent` lease keys per channel
 * (`slot.{channel}.{n}`, n < max_concurrent), each taken by an atomic create and given back by a
 * delete on the revision that took it. A key holds one video and there are only max_concurrent
 * keys, so two replicas can never both take the last slot. Each process follows the keys with one
 * KV watch, so an admission reads nothing: it creates a key it believes free, and admitters racing
 * after an outage each pick a different free key at random, instead of all compare-and-setting one
 * key per channel (which made each admission retry once per admitter that won before it). What a
 * process believes is only a hint: the server decides every take, and a refused write refreshes the
 * key. Channels without a limit are not counted at all. Lowering a channel's max_concurrent leaves
 * the jobs holding higher keys running until they end; new admissions count only the lower keys.
 */
export const channelSlots = (
  kv: KV,
  {
    isDone,
    now,
    random = Math.random,
  }: {
    isDone: (videoId: string, channelId: string) => Promise<boolean>;
    now: () => number;
    random?: () => number;
  },
): ChannelSlots => {
  const keyOf = (channelId: string, index: number) => `slot.${channelId}.${index}`;
  /** Each slot key as last heard of (watch, own writes, refreshes): its holder (null: free) at a revision. */
  const known = new Map<string, { videoId: string | null; revision: number }>();
  const learn = (key: string, videoId: string | null, revision: number) => {
    const before = known.get(key);
    if (!before || revision > before.revision) known.set(key, { videoId, revision });
  };
  const learnEntry = (entry: KvEntry) =>
    learn(entry.key, live(entry) ? (entry.json() as Slot).videoId : null, entry.revision);

  let following: Promise<void> | undefined;
  /** One watch of every slot key for the process; started on first use, started again if it ends. */
  const follow = () =>
    (following ??= (async () => {
      const updates = await kv.watch({ key: "slot.>" });
      void (async () => {
        for await (const entry of updates) learnEntry(entry);
      })()
        .catch(() => undefined)
        .finally(() => {
          following = undefined;
        });
    })().catch(() => {
      following = undefined;
    }));

  const refresh = async (key: string) => {
    const entry = await kv.get(key);
    if (entry) learnEntry(entry);
    return known.get(key)?.videoId ?? null;
  };

  /** Takes the key if it is free on the server; true when this video holds it now. */
  const take = async (key: string, videoId: string) => {
    try {
      learn(key, videoId, await kv.create(key, JSON.stringify({ videoId, since: now() } satisfies Slot)));
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
      return (await refresh(key)) === videoId;
    }
  };

  /** Gives the key back if it still holds what was last heard at that revision. */
  const free = async (key: string, revision: number) => {
    try {
      await kv.delete(key, { previousSeq: revision });
      // The delete's own revision is not returned; anything written after it is newer than this.
      learn(key, null, revision + 0.5);
      return true;
    } catch (error) {
      if (!isConflict(error)) throw error;
      await refresh(key);
      return false;
    }
  };

  const shuffled = <T>(items: T[]) => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  };

  return {
    acquire: async (channelId, videoId, maxConcurrent) => {
      if (maxConcurrent === undefined) return true;
      await follow();
      const keys = Array.from({ length: maxConcurrent }, (_, index) => keyOf(channelId, index));
      let asked = false;
      for (let round = 1; round <= MAX_ROUNDS; round++) {
        if (keys.some((key) => known.get(key)?.videoId === videoId)) return true;
        const free = shuffled(keys.filter((key) => !known.get(key)?.videoId)).slice(0, TRIES_PER_ROUND);
        if (free.length === 0) {
          // Full as heard: the watch may lag the server (a slot another replica just gave back), so ask the
          // server once before answering "no room" or reclaiming.
          if (asked) break;
          asked = true;
          await Promise.all(keys.map(refresh));
          continue;
        }
        for (const key of free) if (await take(key, videoId)) return true;
        if (round === MAX_ROUNDS) return false;
      }
      // Full as known: reclaim the keys of jobs that ended without giving theirs back (a crash).
      const held = keys.flatMap((key) => {
        const holder = known.get(key);
        return holder?.videoId ? [{ key, videoId: holder.videoId, revision: holder.revision }] : [];
      });
      const done = await Promise.all(held.map(async (each) => ((await isDone(each.videoId, channelId)) ? [each] : [])));
      for (const { key, revision } of shuffled(done.flat())) {
        if ((await free(key, revision)) || !known.get(key)?.videoId) if (await take(key, videoId)) return true;
      }
      return false;
    },
    release: async (channelId, videoId) => {
      // What this process knows is enough: a key it missed is reclaimed once its job is done (see acquire).
      const prefix = `slot.${channelId}.`;
      for (const [key, holder] of [...known])
        if (key.startsWith(prefix) && holder.videoId === videoId && !(await free(key, holder.revision))) {
          const again = known.get(key);
          if (again?.videoId === videoId) await free(key, again.revision);
        }
    },
    holders: async (channelId) => {
      const keys: string[] = [];
      for await (const key of await kv.keys(`slot.${channelId}.*`)) keys.push(key);
      const entries = await Promise.all(keys.map((key) => kv.get(key)));
      return entries.flatMap((entry) => (live(entry) ? [(entry.json() as Slot).videoId] : []));
    },
  };
};
