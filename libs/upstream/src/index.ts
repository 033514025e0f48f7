import { arkProvider } from "./ark-provider.ts";
import { azureProvider } from "./azure-provider.ts";
import type { Channel } from "./channels.ts";
import { chatSseProvider } from "./chat-sse-provider.ts";
import { dashscopeProvider } from "./dashscope-provider.ts";
import { geminiProvider } from "./gemini-provider.ts";
import { klingProvider } from "./kling-provider.ts";
import { lumaProvider } from "./luma-provider.ts";
import { minimaxProvider } from "./minimax-provider.ts";
import { openAiProvider } from "./openai-provider.ts";
import type { Provider } from "./provider.ts";
import { runwayProvider } from "./runway-provider.ts";
import { vertexProvider } from "./vertex-provider.ts";

export { arkProvider } from "./ark-provider.ts";
export { azureProvider } from "./azure-provider.ts";
export {
  canDo,
  capabilities,
  channelSupports,
  fromUpload,
  modelSupports,
  type Operation,
  operations,
} from "./capabilities.ts";
export {
  type Channel,
  ChannelsFileError,
  channelSchema,
  channelsFileSchema,
  expandEnv,
  loadChannels,
  type ProviderName,
  parseChannelsFile,
  providers,
  simulatorChannel,
} from "./channels.ts";
export {
  type ChannelsLog,
  type ChannelsSource,
  channelsSource,
  channelsSourceFromConfig,
  describeChannel,
} from "./channels-source.ts";
export { chatSseProvider } from "./chat-sse-provider.ts";
export { brokenStreamError, chatModelSpec, chatStreamScanner, progressIn, videoLinkIn } from "./chat-text.ts";
export { dashscopeProvider } from "./dashscope-provider.ts";
export {
  channelHosts,
  networkErrorOf,
  type UpstreamHttp,
  type UpstreamHttpOptions,
  type UpstreamInit,
  upstreamHttp,
} from "./fetch-upstream.ts";
export { geminiProvider } from "./gemini-provider.ts";
export { klingProvider, klingTokens } from "./kling-provider.ts";
export { LUMA_MODIFY_MODE, lumaProvider } from "./luma-provider.ts";
export {
  aspectRatioOf,
  base64Of,
  dataUrlOf,
  imageModelFor,
  klingModeOf,
  type MappedRequest,
  type ModelMapping,
  mapRequest,
  resolutionOf,
  type SizeParts,
  sizeFrom,
  sizeParts,
  upstreamModelOf,
  upstreamModelsOf,
  videoModelFor,
} from "./mapping.ts";
export { sniffedMedia, sniffMediaType } from "./media-type.ts";
export { minimaxProvider } from "./minimax-provider.ts";
export { openAiProvider } from "./openai-provider.ts";
export {
  type CharacterInput,
  type EditRequest,
  type ExtendRequest,
  type JobReport,
  type Provider,
  type RemixRequest,
  type SubmitRequest,
  type Submitted,
  UpstreamError,
  type UpstreamStatus,
  type VideoSource,
} from "./provider.ts";
export {
  RUNWAY_DATA_URI_VIDEO_BYTES,
  RUNWAY_DEFAULT_EDIT_MODEL,
  RUNWAY_VERSION,
  runwayProvider,
} from "./runway-provider.ts";
export { CONTENT_FILTERED } from "./task-http.ts";
export { type ScrubContext, scrubUpstreamText, truncate, upstreamLimits } from "./upstream-text.ts";
export { vertexProvider } from "./vertex-provider.ts";
export { videoStatusOf } from "./videos-api.ts";
export { type ChannelsWatch, watchChannels } from "./watch-channels.ts";

const made = new WeakMap<Channel, Provider>();

/**
 * The provider client for a channel, made once per channel object: a client keeps what it minted (Kling's
 * JWT, Vertex's OAuth token) until near expiry. An edited channels file brings new objects, so new clients.
 */
export const providerFor = (channel: Channel): Provider => {
  let provider = made.get(channel);
  if (!provider) {
    provider = newProvider(channel);
    made.set(channel, provider);
  }
  return provider;
};

const newProvider = (channel: Channel): Provider => {
  switch (channel.provider) {
    case "openai":
      return openAiProvider(channel);
    case "azure":
      return azureProvider(channel);
    case "chat-sse":
      return chatSseProvider(channel);
    case "gemini":
      return geminiProvider(channel);
    case "vertex":
      return vertexProvider(channel);
    case "kling":
      return klingProvider(channel);
    case "dashscope":
      return dashscopeProvider(channel);
    case "ark":
      return arkProvider(channel);
    case "runway":
      return runwayProvider(channel);
    case "luma":
      return lumaProvider(channel);
    case "minimax":
      return minimaxProvider(channel);
  }
};
