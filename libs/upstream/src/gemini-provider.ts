import type { Channel } from "./channels.ts";
import { fetchUpstream } from "./http-errors.ts";
import type { Provider, SubmitRequest, Submitted } from "./provider.ts";
import { callJson, downloadLink, httpErrorOf, jsonBody, notOffered } from "./task-http.ts";
import { samplesOf, VEO_POLL_INTERVAL_MS, type VeoOperation, veoBody, veoReport } from "./veo.ts";

const isFiltered = (code: string | undefined, message: string | undefined) =>
  code === "content_filtered" ||
  (/\b(safety|responsible ai|rai)\b/i.test(message ?? "") && code === "INVALID_ARGUMENT");

/**
 * Veo through the Gemini API: `POST {base}/models/{model}:predictLongRunning` with `x-goog-api-key`, the
 * operation polled at `GET {base}/{name}` until `done`, the video's `uri` downloaded with the key (only on
 * the API's own host; a redirect to a storage host is followed without it). docs/providers/gemini.md.
 */
export const geminiProvider = (channel: Channel, { timeoutMs = channel.timeout_seconds * 1000 } = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { "x-goog-api-key": channel.api_key };
  const caller = { timeoutMs, isFiltered };
  const host = new URL(base).host;
  const operation = (name: string) =>
    callJson<VeoOperation>(caller, "status", `${base}/${name.replace(/^\/+/, "")}`, { headers });
  const report = (op: VeoOperation) => veoReport(op);

  return {
    follow: "poll",
    pollIntervalMs: channel.poll_interval_seconds ? channel.poll_interval_seconds * 1000 : VEO_POLL_INTERVAL_MS,

    async submit(request: SubmitRequest): Promise<Submitted> {
      const answer = await callJson<VeoOperation>(
        caller,
        "submit",
        `${base}/models/${encodeURIComponent(request.model)}:predictLongRunning`,
        jsonBody(veoBody(request), headers),
      );
      return { upstreamId: answer.name };
    },

    status: async (upstreamId) => report(await operation(upstreamId)),

    async remix() {
      throw notOffered("remix", "Veo (Gemini API)");
    },

    // The Gemini API documents no cancel for video operations; the job runs out on its own.
    async cancel() {},

    /** The operation is asked again for the video's `uri`: the report keeps no link. */
    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Veo");
      const op = await operation(id);
      const sample = op.done ? samplesOf(op).samples[0] : undefined;
      const link = sample?.video?.uri ?? sample?.uri;
      if (!link) throw notOffered("content video", "an unfinished Veo operation");
      return downloadLink(link, { timeoutMs, keyHeaders: headers, trustedHost: host });
    },

    async check() {
      const response = await fetchUpstream(`${base}/models?pageSize=1`, { headers }, timeoutMs, "check");
      if (!response.ok) throw await httpErrorOf(response, "check", isFiltered);
      await response.body?.cancel();
    },
  };
};
