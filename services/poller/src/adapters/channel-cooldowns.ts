import type { KV } from "@nats-io/kv";

export interface ChannelCoolDowns {
  /** When the channel may be called again (epoch ms; 0 when it may be called now). */
  until(channelId: string): number;
  /** The channel asked us to wait (429/503 with Retry-After) until then: every replica waits, even after a restart. */
  hold(channelId: string, untilMs: number): Promise<void>;
  stop(): void;
}

/**
 * Retry-After per channel, shared through KV: written when an upstream asks for a pause, read from
 * a local copy that a KV watch keeps current (a poll must not cost a KV round trip).
 */
export const channelCoolDowns = async (kv: KV): Promise<ChannelCoolDowns> => {
  const local = new Map<string, number>();
  const prefix = "cooldown.";
  const remember = (key: string, value: string) => {
    const channelId = key.slice(prefix.length);
    local.set(channelId, Math.max(local.get(channelId) ?? 0, Number(value) || 0));
  };
  // Read what is there before the first poll: a restarted replica must honour a pause asked before it started.
  for await (const key of await kv.keys(`${prefix}>`)) {
    const entry = await kv.get(key);
    if (entry && entry.operation === "PUT" && entry.length > 0) remember(key, entry.string());
  }
  const watch = await kv.watch({ key: `${prefix}>` });
  void (async () => {
    for await (const entry of watch) {
      if (entry.operation === "PUT" && entry.length > 0) remember(entry.key, entry.string());
    }
  })();
  return {
    until: (channelId) => local.get(channelId) ?? 0,
    hold: async (channelId, untilMs) => {
      if ((local.get(channelId) ?? 0) >= untilMs) return;
      local.set(channelId, untilMs);
      await kv.put(`${prefix}${channelId}`, String(untilMs));
    },
    stop: () => watch.stop(),
  };
};
