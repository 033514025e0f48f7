import type { Channel } from "./channels.ts";
import { type UpstreamHttpOptions, upstreamHttp } from "./fetch-upstream.ts";
import type { Provider } from "./provider.ts";
import { videosApiProvider } from "./videos-api.ts";

/** The OpenAI Videos API shape under the channel's base URL, Bearer auth; also what third-party relays speak. */
export const openAiProvider = (
  channel: Channel,
  { timeoutMs = channel.timeout_seconds * 1000, ...http }: Partial<UpstreamHttpOptions> = {},
): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  return videosApiProvider({
    url: (path, query) => `${base}${path}${query ? `?${new URLSearchParams(query)}` : ""}`,
    headers: { authorization: `Bearer ${channel.api_key}` },
    http: upstreamHttp(channel, { timeoutMs, ...http }),
  });
};
