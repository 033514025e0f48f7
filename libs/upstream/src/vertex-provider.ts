import { Readable } from "node:stream";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions } from "./fetch-upstream.ts";
import { serviceAccountTokens } from "./google-service-account.ts";
import { type Provider, UpstreamError } from "./provider.ts";
import { jsonBody, notOffered, taskHttp } from "./task-http.ts";
import { samplesOf, veoLifecycle, veoOperation } from "./veo.ts";

const isFiltered = (code: string | undefined) => code === "content_filtered";

/** `projects/P/locations/L/publishers/google/models/M/operations/O` → M: fetchPredictOperation is asked on the model. */
/**
 * A finished operation holds the video inline (base64), so its answer may be far above the JSON cap: this cap is
 * for it (an 8 s 1080p Veo video is some tens of MB).
 */
const INLINE_OPERATION_BYTES = 256 * 1024 * 1024;

const modelOfOperation = (name: string) => /\/models\/([^/]+)\/operations\//.exec(name)?.[1];

/**
 * Veo on Vertex AI: `POST {base}/projects/{project}/locations/{location}/publishers/google/models/{model}:predictLongRunning`
 * with an OAuth2 bearer token from the channel's service-account `key_file`, polled with
 * `…/models/{model}:fetchPredictOperation {operationName}`. Without a `storageUri` the video comes back inline
 * (base64) in the finished operation, so `content` asks for the operation again and decodes it.
 * docs/providers/vertex.md.
 */
export const vertexProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const tokens = serviceAccountTokens(channel.key_file ?? "");
  const http = taskHttp(channel, { ...options, isFiltered });
  const { callJson } = http;
  const modelPath = (model: string) =>
    `${base}/projects/${channel.project}/locations/${channel.location}/publishers/google/models/${encodeURIComponent(model)}`;
  const headers = async () => ({ authorization: `Bearer ${await tokens.token()}` });
  const operation = async (name: string) => {
    const model = modelOfOperation(name);
    if (!model)
      throw new UpstreamError("status: the id is not a Vertex operation name", { status: 404, retryable: false });
    return callJson(
      "status",
      `${modelPath(model)}:fetchPredictOperation`,
      jsonBody({ operationName: name }, await headers()),
      veoOperation,
      { ids: [name], maxBytes: INLINE_OPERATION_BYTES },
    );
  };

  return {
    ...veoLifecycle({
      channel,
      api: "Vertex AI",
      http,
      modelUrl: modelPath,
      headers,
      operation,
      // We never set `storageUri`, so the source is inline in its operation and goes back inline (no GCS needed).
      sourceVideo: (op) => {
        const sample = samplesOf(op).samples[0];
        const inline = sample?.bytesBase64Encoded ?? sample?.video?.bytesBase64Encoded;
        if (!inline) return undefined;
        return { bytesBase64Encoded: inline, mimeType: sample?.mimeType ?? sample?.video?.mimeType ?? "video/mp4" };
      },
    }),

    async cancel() {},

    async content(upstreamId, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Veo");
      const op = await operation(upstreamId);
      const sample = samplesOf(op).samples[0];
      const inline = sample?.bytesBase64Encoded ?? sample?.video?.bytesBase64Encoded;
      if (!op.done || !inline)
        throw new UpstreamError("content video: the Vertex operation holds no inline video", {
          status: 404,
          retryable: false,
        });
      const bytes = Buffer.from(inline, "base64");
      return {
        body: Readable.toWeb(Readable.from([bytes])) as ReadableStream<Uint8Array>,
        contentType: sample?.mimeType ?? sample?.video?.mimeType ?? "video/mp4",
        bytes: bytes.length,
      };
    },

    /** A token proves the key; a missing operation on the project proves the endpoint answers and takes it. */
    async check() {
      const name = `projects/${channel.project}/locations/${channel.location}/publishers/google/models/check/operations/00000000-0000-0000-0000-000000000000`;
      await operation(name).catch((error: unknown) => {
        if ((error as UpstreamError).status !== 404) throw error;
      });
    },
  };
};
