import type { Channel } from "./channels.ts";
import { type UpstreamHttpOptions, upstreamHttp } from "./fetch-upstream.ts";
import type { Provider } from "./provider.ts";
import { videosApiProvider } from "./videos-api.ts";

/**
 * Azure OpenAI: the same videos API under `{resource}/openai/v1/videos`, the key in an `api-key`
 * header and an `api-version` query parameter. `base_url` may be the resource or already end in `/openai/v1`.
 */
export const azureProvider = (
  channel: Channel,
  { timeoutMs = channel.timeout_seconds * 1000, ...http }: Partial<UpstreamHttpOptions> = {},
): Provider => {
  const trimmed = channel.base_url.replace(/\/+$/, "");
  const base = /\/openai\/v1$/.test(trimmed) ? trimmed : `${trimmed}/openai/v1`;
  const apiVersion = channel.api_version ?? "preview";
  return videosApiProvider({
    url: (path, query) => `${base}${path}?${new URLSearchParams({ ...query, "api-version": apiVersion })}`,
    headers: { "api-key": channel.api_key },
    http: upstreamHttp(channel, { timeoutMs, ...http }),
  });
};
