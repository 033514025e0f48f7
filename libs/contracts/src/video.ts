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

/** Create and remix answers: the Video plus the legacy relay's "general video response" fields. */
export const createdVideoSchema = videoSchema.extend({
  task_id: z.string(),
  task_status: z.literal("succeed"),
  message: z.string(),
});

/** `seconds` arrives as "8" or 8 from different clients; both mean the same. */
const secondsField = z.union([z.string(), z.number()]).transform((value) => String(value).trim());

/** An image to animate, as clients send it: a URL, a data URL or bare base64, or `{image_url}`. (File parts come as multipart.) */
export const inputReferenceFieldSchema = z.union([z.string().min(1), z.strictObject({ image_url: z.string().min(1) })]);

export const createVideoRequestSchema = z.strictObject({
  model: z.string().min(1).default("sora-2"),
  prompt: z.string().trim().min(1, "prompt is required").max(32_000),
  seconds: secondsField.optional(),
  size: z.string().trim().optional(),
  input_reference: inputReferenceFieldSchema.optional(),
  /** How an input image of other dimensions than `size` is fitted to it (SPEC §1.1). */
  input_fit: z.enum(["cover", "contain", "none"]).default("cover"),
});
export type CreateVideoRequest = z.infer<typeof createVideoRequestSchema>;

/** The legacy relay's remix form: `POST /v1/videos` with a `-remix` model and the source's `video_id`. */
export const legacyRemixRequestSchema = z.strictObject({
  model: z.string().regex(/-remix$/),
  prompt: z.string().trim().min(1, "prompt is required").max(32_000),
  video_id: z.string().min(1),
  seconds: z.unknown().optional(),
  size: z.unknown().optional(),
});

export const remixVideoRequestSchema = z.strictObject({
  prompt: z.string().trim().min(1, "prompt is required").max(32_000),
});

export const listVideosQuerySchema = z.strictObject({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("desc"),
});

export const videoListSchema = z.object({
  object: z.literal("list"),
  data: z.array(videoSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

export const deletedVideoSchema = z.object({
  id: z.string(),
  object: z.literal("video.deleted"),
  deleted: z.literal(true),
});

export const videoIdParamsSchema = z.object({ id: z.string().describe("The video's id (video_…)") });

export const contentQuerySchema = z.strictObject({
  variant: z.enum(["video", "thumbnail", "spritesheet"]).default("video"),
});

/** The legacy relay's query forms. */
export const legacyResultRequestSchema = z.strictObject({ task_id: z.string().min(1) });
export const legacyQueryRequestSchema = z.strictObject({ video_id: z.string().min(1) });

/** The legacy relay's "general final video response". */
export const legacyVideoResultSchema = z.object({
  task_id: z.string(),
  video_id: z.string(),
  task_status: z.enum(["processing", "succeed", "failed"]),
  message: z.string(),
  duration: z.string(),
  video_result: z.string().nullable(),
  video_results: z.array(z.object({ url: z.string() })),
});
export type LegacyVideoResult = z.infer<typeof legacyVideoResultSchema>;

export const openAiErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type OpenAiError = z.infer<typeof openAiErrorSchema>;
