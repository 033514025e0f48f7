import { z } from "zod";

const usdAmount = z.union([z.string().regex(/^-?\d+(\.\d{1,6})?$/), z.number().finite()]);

export const openAccountRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits_usd: usdAmount.optional(),
});
export type OpenAccountRequest = z.infer<typeof openAccountRequestSchema>;

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
    creditsMicros: z.number().int().nonnegative(),
    commandId: z.string(),
  }),
  getAccount: z.object({ accountId: z.string() }),
};
/** Replies: `{ok: true, account}` or `{ok: false, status, message}`. */
export const rpcReplySchema = z.union([
  z.object({ ok: z.literal(true), account: accountSnapshotSchema }),
  z.object({ ok: z.literal(false), status: z.number().int(), message: z.string() }),
]);
export type RpcReply = z.infer<typeof rpcReplySchema>;
