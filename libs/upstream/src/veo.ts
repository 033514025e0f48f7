import { z } from "zod";
import type { Channel } from "./channels.ts";
import { mapRequest } from "./mapping.ts";
import {
  type ExtendRequest,
  type JobReport,
  type Provider,
  type SubmitRequest,
  type Submitted,
  UpstreamError,
  type VideoSource,
} from "./provider.ts";
import {
  CONTENT_FILTERED,
  idLike,
  jsonBody,
  linkText,
  messageText,
  notOffered,
  type TaskHttp,
  taskReport,
} from "./task-http.ts";

/** What Veo's Gemini API and Vertex AI share: the `predictLongRunning` body, the operation they answer, the lifecycle. */

/** Veo's documented polling pace: about every 10 s. */
export const VEO_POLL_INTERVAL_MS = 10_000;

export const veoBody = (request: SubmitRequest) => {
  const { gemini } = mapRequest(request);
  return {
    instances: [
      {
        prompt: request.prompt,
        ...(request.inputReference
          ? {
              image: {
                bytesBase64Encoded: request.inputReference.bytes.toString("base64"),
                mimeType: request.inputReference.contentType,
              },
            }
          : {}),
      },
    ],
    parameters: { ...gemini, sampleCount: 1 },
  };
};

/**
 * An extension's body: the source video in `instances[0].video` (each API writes it its own way: the Gemini API a
 * generated file's `uri`, Vertex AI `bytesBase64Encoded`), the prompt, and the extension's own seconds. No aspect
 * ratio or resolution: the extension keeps the source's (docs/providers/gemini.md, vertex.md).
 */
export const veoExtendBody = (video: Record<string, string>, request: ExtendRequest) => ({
  instances: [{ prompt: request.prompt, video }],
  parameters: { durationSeconds: Number(request.seconds), sampleCount: 1 },
});

/** The source of an extension is not (or no longer) a finished Veo video of this channel: a refusal, never retried. */
export const extendSourceUnavailable = (why: string) =>
  new UpstreamError(`extend: ${why}`, {
    status: 400,
    retryable: false,
    upstreamCode: "extend_source_unavailable",
    upstreamMessage: "The source video is not available upstream to extend.",
  });

const veoSample = z.object({
  video: z
    .object({ uri: linkText.optional(), bytesBase64Encoded: z.string().optional(), mimeType: idLike.optional() })
    .optional(),
  uri: linkText.optional(),
  gcsUri: linkText.optional(),
  bytesBase64Encoded: z.string().optional(),
  mimeType: idLike.optional(),
});
export type VeoSample = z.infer<typeof veoSample>;

const veoVideoResponse = z.object({
  generatedSamples: z.array(veoSample).optional(),
  videos: z.array(veoSample).optional(),
  raiMediaFilteredCount: z.number().optional(),
  raiMediaFilteredReasons: z.array(messageText).optional(),
});
export type VeoVideoResponse = z.infer<typeof veoVideoResponse>;

/** A long-running operation as both APIs answer it (Gemini nests the videos under `generateVideoResponse`). */
export const veoOperation = z.object({
  name: idLike,
  done: z.boolean().optional(),
  error: z
    .object({ code: z.number().optional(), message: messageText.optional(), status: idLike.optional() })
    .optional(),
  response: veoVideoResponse.extend({ generateVideoResponse: veoVideoResponse.optional() }).optional(),
});
export type VeoOperation = z.infer<typeof veoOperation>;

export const samplesOf = (operation: VeoOperation): { samples: VeoSample[]; video: VeoVideoResponse } => {
  const video = operation.response?.generateVideoResponse ?? operation.response ?? {};
  return { samples: video.generatedSamples ?? video.videos ?? [], video };
};

/**
 * `done: false` is running (Veo reports no progress); `done` with an error or with nothing but filtered
 * media is failed (the RAI filter as `content_filtered`, uncharged); `done` with samples is completed.
 */
export const veoReport = (operation: VeoOperation, scrub: (text: string) => string): JobReport => {
  if (!operation.done) return taskReport({ status: "in_progress" });
  if (operation.error)
    return taskReport({
      status: "failed",
      error: {
        code: operation.error.status?.toLowerCase() ?? "upstream_failed",
        message: scrub(operation.error.message ?? "the Veo operation failed"),
      },
    });
  const { samples, video } = samplesOf(operation);
  if (samples.length === 0)
    return taskReport({
      status: "failed",
      error: {
        code: CONTENT_FILTERED,
        message:
          (video.raiMediaFilteredCount ?? 0) > 0
            ? `The video was blocked by the provider's safety filter${video.raiMediaFilteredReasons?.length ? `: ${scrub(video.raiMediaFilteredReasons.join("; "))}` : "."}`
            : "The provider finished without a video.",
      },
    });
  // Generated files are kept about two days.
  return taskReport({
    status: "completed",
    expiresAt: Math.floor(Date.now() / 1000) + 2 * 86_400,
  });
};

/**
 * The lifecycle both Veo APIs share, each passing its own URLs and auth: polled at the channel's pace or Veo's, a
 * submit to `{model}:predictLongRunning` answered by the operation whose name is our upstream id, the status read
 * from that operation (media stays with it: the report names no link), no remix.
 */
export const veoLifecycle = ({
  channel,
  api,
  http: { callJson, scrub },
  modelUrl,
  headers,
  operation,
  sourceVideo,
}: {
  channel: Channel;
  /** How the operation names the API: "Gemini API", "Vertex AI". */
  api: string;
  http: Pick<TaskHttp, "callJson" | "scrub">;
  modelUrl: (model: string) => string;
  headers: () => Record<string, string> | Promise<Record<string, string>>;
  operation: (name: string) => Promise<VeoOperation>;
  /** The finished source operation's video as this API's `instances[].video` takes it, or undefined if it has none. */
  sourceVideo: (operation: VeoOperation) => Record<string, string> | undefined;
}): Pick<Provider, "follow" | "pollIntervalMs" | "submit" | "status" | "remix" | "extend"> => ({
  follow: "poll",
  pollIntervalMs: channel.poll_interval_seconds ? channel.poll_interval_seconds * 1000 : VEO_POLL_INTERVAL_MS,

  async submit(request: SubmitRequest): Promise<Submitted> {
    const answer = await callJson(
      "submit",
      `${modelUrl(request.model)}:predictLongRunning`,
      jsonBody(veoBody(request), await headers()),
      veoOperation,
    );
    return { upstreamId: answer.name };
  },

  status: async (upstreamId) => veoReport(await operation(upstreamId), (text) => scrub(text, [upstreamId])),

  async remix() {
    throw notOffered("remix", `Veo (${api})`);
  },

  /**
   * Veo extends only a video Veo made (docs/providers/gemini.md, vertex.md): the source job's finished operation is
   * asked for its video, which goes back in `instances[0].video` of a new `predictLongRunning` on the same model.
   * An uploaded file is refused before anything is sent. The operation reports no length; the poller records the
   * stitched total (source + extension), which is what Google documents the result to be.
   */
  async extend(source: VideoSource, request: ExtendRequest): Promise<Submitted> {
    if (source.kind !== "job") throw notOffered("extend of an uploaded video", `Veo (${api})`);
    const found = await operation(source.upstreamId);
    const video = found.done && !found.error ? sourceVideo(found) : undefined;
    if (!video) throw extendSourceUnavailable("the source operation holds no finished video");
    const answer = await callJson(
      "extend",
      `${modelUrl(request.model)}:predictLongRunning`,
      jsonBody(veoExtendBody(video, request), await headers()),
      veoOperation,
      { ids: [source.upstreamId] },
    );
    return { upstreamId: answer.name };
  },
});
