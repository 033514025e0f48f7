import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions } from "./fetch-upstream.ts";
import type { Provider } from "./provider.ts";
import { notOffered, taskHttp } from "./task-http.ts";
import { samplesOf, veoLifecycle, veoOperation } from "./veo.ts";

const isFiltered = (code: string | undefined, message: string | undefined) =>
  code === "content_filtered" ||
  (/\b(safety|responsible ai|rai)\b/i.test(message ?? "") && code === "INVALID_ARGUMENT");

/**
 * Veo through the Gemini API: `POST {base}/models/{model}:predictLongRunning` with `x-goog-api-key`, the
 * operation polled at `GET {base}/{name}` until `done`, the video's `uri` downloaded with the key (only on
 * the API's own host; a redirect to a storage host, which must be one of the channel's `media_hosts`, is followed
 * without it). docs/providers/gemini.md.
 */
export const geminiProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { "x-goog-api-key": channel.api_key };
  const http = taskHttp(channel, { ...options, isFiltered });
  const { callJson, callStatus, download } = http;
  const operation = (name: string) =>
    callJson("status", `${base}/${name.replace(/^\/+/, "")}`, { headers }, veoOperation, { ids: [name] });

  return {
    ...veoLifecycle({
      channel,
      api: "Gemini API",
      http,
      modelUrl: (model) => `${base}/models/${encodeURIComponent(model)}`,
      headers: () => headers,
      operation,
      // The Gemini API takes the generated file back by its `uri` (Google's SDK writes `video.uri`).
      sourceVideo: (op) => {
        const sample = samplesOf(op).samples[0];
        const uri = sample?.video?.uri ?? sample?.uri;
        return uri ? { uri } : undefined;
      },
    }),

    // The Gemini API documents no cancel for video operations; the job runs out on its own.
    async cancel() {},

    /** The operation is asked again for the video's `uri`: the report keeps no link. */
    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Veo");
      const op = await operation(id);
      const sample = op.done ? samplesOf(op).samples[0] : undefined;
      const link = sample?.video?.uri ?? sample?.uri;
      if (!link) throw notOffered("content video", "an unfinished Veo operation");
      return download(link, { keyHeaders: headers });
    },

    async check() {
      await callStatus("check", `${base}/models?pageSize=1`, { headers });
    },
  };
};
