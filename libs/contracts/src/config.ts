import { z } from "zod";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/** Shorter than this, a secret can be guessed; SPEC.md §2 asks at least 32 characters. */
export const MIN_SECRET_LENGTH = 32;

/**
 * Values people leave in manifests and .env files: `replace-me…`, `changeme`, `<your token>`, and the
 * like. A secret matching one is refused however long it is.
 */
const placeholderPatterns = [
  /replace[-_. ]?me/i,
  /change[-_. ]?(me|it|this)/i,
  /placeholder/i,
  /^<.*>$/,
  /^\$\{.*\}$/,
  /^(your|my|some)[-_. ]/i,
  /example/i,
  /^(secret|password|token|admin|test|dummy|default|todo|fixme)[-_. ]*\d*$/i,
];

/** Why `value` is not a usable secret, or undefined when it is. */
export const secretProblem = (value: string): string | undefined => {
  if (placeholderPatterns.some((pattern) => pattern.test(value)))
    return "is a placeholder, not a secret: set a random value of at least 32 characters (openssl rand -base64 32)";
  if (value.length < MIN_SECRET_LENGTH)
    return `is ${value.length} characters long; it must be at least ${MIN_SECRET_LENGTH} (openssl rand -base64 32)`;
  // 32 of one or two characters repeated is no secret either.
  if (new Set(value).size < 8)
    return "has fewer than 8 distinct characters: set a random value (openssl rand -base64 32)";
  return undefined;
};

/** An optional secret: unset (the embedded default generates one), or a real secret — never a placeholder. */
const secretText = optionalText.superRefine((value, context) => {
  const problem = value === undefined ? undefined : secretProblem(value);
  if (problem) context.addIssue({ code: "custom", message: problem });
});

/** SPEC.md §2: every variable, its default, and what it must look like. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Ingress's /healthz, /readyz and /metrics, apart from the public API; unset: PORT+1 (0 with PORT 0: any free port). */
  REELGATE_OPERATIONS_PORT: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce.number().int().min(0).max(65_535).optional(),
  ),
  REELGATE_DATA_DIR: z.string().default(".reelgate"),
  NATS_URL: optionalText,
  /** NATS credentials (SPEC.md §2): a user and password, or a .creds file (JWT + NKey seed). */
  NATS_USER: optionalText,
  NATS_PASSWORD: optionalText,
  NATS_CREDS: optionalText,
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
  REELGATE_ADMIN_TOKEN: secretText,
  REELGATE_CHANNELS_FILE: optionalText,
  REELGATE_PRICING_FILE: optionalText,
  REELGATE_PUBLIC_URL: optionalText,
  REELGATE_SIMULATOR_URL: z.string().url().default("http://127.0.0.1:8090/v1"),
  REELGATE_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .default("reelgate"),
  REELGATE_SIGNING_SECRET: secretText,
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
  /** How long a service's start waits for NATS (down, or its JetStream still starting) before it exits; 0: no wait. */
  REELGATE_NATS_START_TIMEOUT_SECONDS: z.coerce.number().min(0).default(60),
  REELGATE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(3000),
  /** Failed authentications (API key or admin token) per client address per minute; beyond, 429. */
  REELGATE_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(60),
  /** Admin API requests per client address per minute. */
  REELGATE_ADMIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  /** `/media/…` signed-URL requests per client address per minute. */
  REELGATE_MEDIA_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(6000),
  /** Ingress replicas behind one load balancer: each ingress counts limit ÷ replicas (docs/security.md). */
  REELGATE_INGRESS_REPLICAS: z.coerce.number().int().positive().default(1),
  /** `true`, or comma-separated proxy addresses/CIDRs whose X-Forwarded-For names the client address. */
  REELGATE_TRUST_PROXY: optionalText,
  /** Remote input-image fetches in flight per account (429 beyond) and per ingress (503 beyond). */
  REELGATE_IMAGE_FETCHES_PER_ACCOUNT: z.coerce.number().int().positive().default(4),
  REELGATE_IMAGE_FETCHES_TOTAL: z.coerce.number().int().positive().default(64),
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
  /** SPEC §2: comma-separated hosts, IPs or CIDRs that fetches of user- or upstream-supplied URLs may reach although private. */
  REELGATE_OUTBOUND_ALLOW: optionalText,
  /** The notifier's waits after each failed webhook delivery, in ms, comma-separated (the last repeats); unset: SPEC §1.5's. */
  REELGATE_WEBHOOK_RETRY_SCHEDULE_MS: optionalText,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type Config = z.infer<typeof configSchema>;
