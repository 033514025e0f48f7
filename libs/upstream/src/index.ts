import type { Channel } from "./channels.ts";
import { openAiProvider } from "./openai-provider.ts";
import type { Provider } from "./provider.ts";

export * from "./channels.ts";
export { openAiProvider } from "./openai-provider.ts";
export * from "./provider.ts";

/** The provider client for a channel. */
export const providerFor = (channel: Channel): Provider => {
  switch (channel.provider) {
    case "openai":
      return openAiProvider(channel);
    default:
      throw new Error(`provider '${channel.provider}' of channel '${channel.id}' is not supported yet`);
  }
};
