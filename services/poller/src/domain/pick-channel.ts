import type { Channel } from "@reelgate/upstream";

/** Channels that can take a new job for this public model: enabled, mapping the model. */
export const eligibleChannels = (channels: Channel[], model: string, exclude: ReadonlySet<string> = new Set()) =>
  channels.filter((channel) => !channel.disabled && channel.models[model] !== undefined && !exclude.has(channel.id));

/** Lowest priority first; within it, by weight. `random` in [0, 1) comes in so the choice is testable. */
export const pickChannel = (channels: Channel[], model: string, random: number, exclude?: ReadonlySet<string>) => {
  const eligible = eligibleChannels(channels, model, exclude);
  if (eligible.length === 0) return undefined;
  const best = Math.min(...eligible.map((channel) => channel.priority));
  const tier = eligible.filter((channel) => channel.priority === best);
  const total = tier.reduce((sum, channel) => sum + channel.weight, 0);
  let point = random * total;
  for (const channel of tier) {
    point -= channel.weight;
    if (point < 0) return channel;
  }
  return tier.at(-1);
};
