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
/** Billing's refusal: the HTTP status it maps to, and where it knows them a code and the field at fault. */
export const rpcFailureSchema = z.object({
  ok: z.literal(false),
  status: z.number().int(),
  message: z.string(),
  code: z.string().optional(),
  param: z.string().nullable().optional(),
});
export type RpcFailure = z.infer<typeof rpcFailureSchema>;

/** Replies: `{ok: true, account}` or `{ok: false, status, message, code?, param?}`. */
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
