import { azureProvider } from "./azure-provider.ts";
import type { Channel } from "./channels.ts";
import { chatSseProvider } from "./chat-sse-provider.ts";
import { openAiProvider } from "./openai-provider.ts";
import type { Provider } from "./provider.ts";

export { azureProvider } from "./azure-provider.ts";
export * from "./channels.ts";
export {
  type ChannelsLog,
  type ChannelsSource,
  channelsSource,
  channelsSourceFromConfig,
  describeChannel,
} from "./channels-source.ts";
export { chatSseProvider } from "./chat-sse-provider.ts";
export { brokenStreamError, chatModelSpec, chatStreamScanner, progressIn, videoLinkIn } from "./chat-text.ts";
export {
  channelHosts,
  networkErrorOf,
  type UpstreamHttp,
  type UpstreamHttpOptions,
  type UpstreamInit,
  upstreamHttp,
} from "./fetch-upstream.ts";
export { sniffedMedia, sniffMediaType } from "./media-type.ts";
export { openAiProvider } from "./openai-provider.ts";
export * from "./provider.ts";
export { type ScrubContext, scrubUpstreamText, truncate, upstreamLimits } from "./upstream-text.ts";
export { videoStatusOf } from "./videos-api.ts";
export { type ChannelsWatch, watchChannels } from "./watch-channels.ts";

/** The provider client for a channel. */
export const providerFor = (channel: Channel): Provider => {
  switch (channel.provider) {
    case "openai":
      return openAiProvider(channel);
    case "azure":
      return azureProvider(channel);
    case "chat-sse":
      return chatSseProvider(channel);
  }
};
