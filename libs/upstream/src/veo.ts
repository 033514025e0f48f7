import { z } from "zod";
import { mapRequest } from "./mapping.ts";
import type { JobReport, SubmitRequest } from "./provider.ts";
import { CONTENT_FILTERED, idLike, linkText, messageText, taskReport } from "./task-http.ts";

/** What Veo's Gemini API and Vertex AI share: the `predictLongRunning` body and the operation they answer. */

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
