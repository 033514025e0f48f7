import { z } from "zod";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/** SPEC.md §2: every variable, its default, and what it must look like. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  REELGATE_DATA_DIR: z.string().default(".reelgate"),
  NATS_URL: optionalText,
  MONGODB_URL: optionalText,
  S3_ENDPOINT: optionalText,
  S3_BUCKET: optionalText,
  S3_REGION: optionalText,
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  S3_FORCE_PATH_STYLE: optionalText,
  S3_PUBLIC_BASE_URL: optionalText,
  /** Checksums on S3 requests: the SDK's CRCs (AWS) or only where the API requires them (R2, MinIO); derived from S3_ENDPOINT when unset. */
  S3_CHECKSUM_MODE: z.enum(["when_supported", "when_required"]).optional(),
  REELGATE_ADMIN_TOKEN: optionalText,
  REELGATE_CHANNELS_FILE: optionalText,
  REELGATE_PRICING_FILE: optionalText,
  REELGATE_PUBLIC_URL: optionalText,
  REELGATE_SIMULATOR_URL: z.string().url().default("http://127.0.0.1:8090/v1"),
  REELGATE_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .default("reelgate"),
  REELGATE_SIGNING_SECRET: optionalText,
  /** Media (and input images) are deleted this many days after they were stored; unset keeps them forever. */
  REELGATE_MEDIA_RETENTION_DAYS: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().positive().optional(),
  ),
  /** How long a signed media URL handed out (e.g. the legacy `video_result`) stays valid. */
  REELGATE_SIGNED_URL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3600)
    .default(24 * 3600),
  REELGATE_JOB_DEADLINE_SECONDS: z.coerce.number().int().positive().default(7200),
  REELGATE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(3000),
  REELGATE_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  REELGATE_INPUT_IMAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  REELGATE_FETCH_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Comma-separated CIDRs an operator allows image URLs to reach despite the private-address rule. */
  REELGATE_FETCH_ALLOWED_CIDRS: optionalText,
  /** The notifier's waits after each failed webhook delivery, in ms, comma-separated (the last repeats); unset: SPEC §1.5's. */
  REELGATE_WEBHOOK_RETRY_SCHEDULE_MS: optionalText,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type Config = z.infer<typeof configSchema>;
