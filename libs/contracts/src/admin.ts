import { z } from "zod";
import { envelopeSchema } from "./envelope.ts";
import { microsAmountSchema, usdAmountSchema } from "./money.ts";

export const openAccountRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits_usd: usdAmountSchema.optional(),
});
export type OpenAccountRequest = z.infer<typeof openAccountRequestSchema>;

/** A top-up, or with a negative amount an adjustment; the same `reference` twice is applied once. */
export const creditRequestSchema = z.strictObject({
  amount_usd: usdAmountSchema,
  reference: z.string().trim().min(1).max(200),
});

export const ledgerQuerySchema = z.strictObject({
  /** The `version` of the last entry already read; the page starts after it. */
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** One billing event as auditors read it: money as 6-place USD strings, the account's totals after it. */
export const ledgerEntrySchema = z.object({
  id: z.string(),
  object: z.literal("ledger.entry"),
  version: z.number().int(),
  type: z.string(),
  occurred_at: z.string(),
  video_id: z.string().nullable(),
  amount_usd: z.string().nullable(),
  quoted_usd: z.string().nullable(),
  /** A capture's uncharged overage: what the upstream's report priced above what was charged. */
  overage_usd: z.string().nullable(),
  reference: z.string().nullable(),
  reason: z.string().nullable(),
  balance_usd: z.string(),
  reserved_usd: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const ledgerPageSchema = z.object({
  object: z.literal("list"),
  data: z.array(ledgerEntrySchema),
  has_more: z.boolean(),
});

export const issueKeyRequestSchema = z.strictObject({ name: z.string().trim().max(200).optional() });

export const accountViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  balance_usd: z.string(),
  reserved_usd: z.string(),
});
export type AccountView = z.infer<typeof accountViewSchema>;

/** Billing's answer to a synchronous admin command (NATS request/reply). */
export const accountSnapshotSchema = z.object({
  accountId: z.string(),
  name: z.string(),
  version: z.number().int(),
  balanceMicros: z.number().int(),
  reservedMicros: z.number().int(),
});
export type AccountSnapshot = z.infer<typeof accountSnapshotSchema>;

export const billingRpc = {
  openAccount: z.object({
    accountId: z.string(),
    name: z.string(),
    creditsMicros: microsAmountSchema.nonnegative(),
    commandId: z.string(),
  }),
  getAccount: z.object({ accountId: z.string() }),
  credit: z.object({
    accountId: z.string(),
    amountMicros: microsAmountSchema,
    reference: z.string().min(1),
  }),
  ledger: z.object({
    accountId: z.string(),
    afterVersion: z.number().int().nonnegative(),
    limit: z.number().int().min(1).max(1000),
  }),
};
/**
 * What kind of refusal a service's rules (or its RPC layer) gave, never an HTTP status: the service that
 * answers clients (ingress) alone decides how each kind is shown.
 */
export const refusalKinds = [
  "invalid",
  "insufficient_funds",
  "not_found",
  "conflict",
  "too_large",
  "unavailable",
] as const;
export type RefusalKind = (typeof refusalKinds)[number];

/** A service's refusal over RPC: its kind, and where it knows them a code and the field at fault. */
export const rpcFailureSchema = z.object({
  ok: z.literal(false),
  kind: z.enum(refusalKinds),
  message: z.string(),
  code: z.string().optional(),
  param: z.string().nullable().optional(),
});
export type RpcFailure = z.infer<typeof rpcFailureSchema>;

/** Replies: `{ok: true, account}` or `{ok: false, kind, message, code?, param?}`. */
export const rpcReplySchema = z.union([
  z.object({ ok: z.literal(true), account: accountSnapshotSchema }),
  rpcFailureSchema,
]);
export type RpcReply = z.infer<typeof rpcReplySchema>;

/** Billing's answer to a ledger page request: the account's events as stored, oldest first. */
export const ledgerReplySchema = z.union([
  z.object({
    ok: z.literal(true),
    events: z.array(envelopeSchema),
    hasMore: z.boolean(),
  }),
  rpcFailureSchema,
]);
export type LedgerReply = z.infer<typeof ledgerReplySchema>;

/** A service's name as NATS subjects carry it: one token, no wildcard. */
const serviceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "must be a service's name (letters, digits, '-' or '_')")
  .describe("Only this service's dead letters (ingress, billing, poller, storage, notifier)");

export const deadLettersQuerySchema = z.strictObject({
  service: serviceNameSchema.optional(),
  after: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe("The sequence of the last dead letter already read; the page starts after it"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** One dead letter: what an operator needs to decide, without the whole payload. */
export const deadLetterSchema = z.object({
  object: z.literal("dead_letter"),
  sequence: z.number().int().describe("Its sequence in the dead-letter stream: what replay selects by"),
  service: z.string().describe("The service whose consumer gave up"),
  consumer: z.string(),
  subject: z.string().describe("The subject it was published on, and is replayed on"),
  event_type: z.string().nullable(),
  event_id: z.string().nullable(),
  video_id: z.string().nullable(),
  deliveries: z.number().int().describe("How many times the consumer had it before giving up"),
  reason: z.string(),
  dead_at: z.string().describe("When it was dead-lettered (ISO 8601)"),
  replayable: z.boolean().describe("Whether POST /admin/v1/dead_letters/replay may replay it (else: the CLI)"),
});
export type DeadLetterView = z.infer<typeof deadLetterSchema>;

export const deadLetterPageSchema = z.object({
  object: z.literal("list"),
  data: z.array(deadLetterSchema),
  has_more: z.boolean(),
});

export const replayDeadLettersRequestSchema = z.strictObject({
  sequences: z
    .array(z.number().int().positive())
    .min(1)
    .max(1000)
    .optional()
    .describe("Only these dead letters, by sequence (every one, or every one of `service`, without)"),
  service: serviceNameSchema.optional(),
});

export const replayDeadLettersResultSchema = z.object({
  object: z.literal("dead_letters.replay"),
  replayed: z.number().int().describe("Republished on their original subject and removed"),
  not_replayed: z
    .array(z.number().int())
    .describe("Selected, but on subjects ingress may not publish on: replay them with `command`"),
  command: z.string().nullable().describe("The CLI command that replays `not_replayed` (null when empty)"),
});
