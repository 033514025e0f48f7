import type { Channel } from "@reelgate/upstream";

/** Channels that can take a new job for this public model: enabled, mapping the model. */
export const eligibleChannels = (channels: Channel[], model: string, exclude: ReadonlySet<string> = new Set()) =>
  channels.filter((channel) => !channel.disabled && channel.models[model] !== undefined && !exclude.has(channel.id));

/** One channel from one priority tier, by weight; `random` in [0, 1). */
const byWeight = (tier: Channel[], random: number) => {
  const total = tier.reduce((sum, channel) => sum + channel.weight, 0);
  let point = random * total;
  for (const channel of tier) {
    point -= channel.weight;
    if (point < 0) return channel;
  }
  return tier.at(-1) as Channel;
};

/**
 * The order to try channels in: lowest priority first; within a priority, a weighted draw for the
 * first place, then the rest by weight again (so a full or failing channel passes its share on).
 * `random` gives the numbers in [0, 1), so the order is testable.
 */
export const rankChannels = (candidates: Channel[], random: () => number): Channel[] => {
  const priorities = [...new Set(candidates.map((channel) => channel.priority))].sort((a, b) => a - b);
  return priorities.flatMap((priority) => {
    const tier = candidates.filter((channel) => channel.priority === priority);
    const ordered: Channel[] = [];
    while (tier.length > 0) {
      const next = byWeight(tier, random());
      ordered.push(next);
      tier.splice(tier.indexOf(next), 1);
    }
    return ordered;
  });
};

/** Lowest priority first; within it, by weight. `random` in [0, 1) comes in so the choice is testable. */
export const pickChannel = (channels: Channel[], model: string, random: number, exclude?: ReadonlySet<string>) =>
  rankChannels(eligibleChannels(channels, model, exclude), () => random)[0];
