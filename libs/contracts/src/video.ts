import { z } from "zod";

export const videoStatuses = ["queued", "in_progress", "completed", "failed"] as const;
export type VideoStatus = (typeof videoStatuses)[number];

/** The public Video object of OpenAI's Videos API, plus the legacy relay's task fields. */
export const videoSchema = z.object({
  id: z.string(),
  object: z.literal("video"),
  model: z.string(),
  status: z.enum(videoStatuses),
  progress: z.number().int().min(0).max(100),
  created_at: z.number().int(),
  completed_at: z.number().int().nullable(),
  expires_at: z.number().int().nullable(),
  prompt: z.string(),
  seconds: z.string(),
  size: z.string(),
  remixed_from_video_id: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type Video = z.infer<typeof videoSchema>;

/** `seconds` arrives as "8" or 8 from different clients; both mean the same. */
const secondsField = z.union([z.string(), z.number()]).transform((value) => String(value).trim());

export const createVideoRequestSchema = z.strictObject({
  model: z.string().min(1).default("sora-2"),
  prompt: z.string().trim().min(1, "prompt is required").max(32_000),
  seconds: secondsField.optional(),
  size: z.string().trim().optional(),
});
export type CreateVideoRequest = z.infer<typeof createVideoRequestSchema>;

export const openAiErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type OpenAiError = z.infer<typeof openAiErrorSchema>;
