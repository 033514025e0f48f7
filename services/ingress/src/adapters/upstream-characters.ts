import { type Channel, canDo, type Provider, providerFor } from "@reelgate/upstream";
import type { CharacterMaker } from "../application/characters.ts";
import { UnsupportedOperationError } from "../domain/errors.ts";

/**
 * Characters made on the first enabled channel whose provider can make them (libs/upstream's capabilities
 * and the provider's `createCharacter`); none: 400 `unsupported_operation`. The channels are asked on every request.
 */
export const upstreamCharacters = (
  channels: () => readonly Channel[],
  provider: (channel: Channel) => Provider = providerFor,
): CharacterMaker => ({
  async create(input) {
    for (const channel of channels()) {
      if (channel.disabled || !canDo(channel.provider, "characters")) continue;
      const made = provider(channel);
      if (!made.createCharacter) continue;
      const { upstreamId } = await made.createCharacter(input);
      return { channelId: channel.id, upstreamId };
    }
    throw new UnsupportedOperationError("No configured channel can create characters.", {
      param: "video",
      code: "unsupported_operation",
    });
  },
});
