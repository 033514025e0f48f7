import { billingRpc, type LedgerReply, type RpcFailure, type RpcReply } from "@reelgate/contracts";
import { AccountRuleError } from "../domain/decide.ts";
import type { Ledger } from "./ledger.ts";

const failure = (error: unknown): RpcReply => {
  if (error instanceof AccountRuleError) return error.toReply();
  throw error;
};

const noAccount = (accountId: string) => ({
  ok: false as const,
  kind: "not_found" as const,
  message: `no account ${accountId}`,
  code: "not_found",
});

/** The API field each command field comes from, so a refusal names what the client sent. */
const apiFields: Record<string, string> = { amountMicros: "amount_usd", creditsMicros: "credits_usd" };

/** A request that does not parse (an amount out of bounds, for one) is a 400 naming the field, never a 500. */
const parsed = <T>(
  schema: {
    safeParse(
      input: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  request: unknown,
): { data: T } | { refused: RpcFailure } => {
  const result = schema.safeParse(request);
  if (result.success) return { data: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  return {
    refused: {
      ok: false,
      kind: "invalid",
      message: issue?.message ?? "invalid request",
      code: "invalid_value",
      param: apiFields[field] ?? (field || null),
    },
  };
};

/** The synchronous admin commands ingress sends billing over NATS request/reply. */
export const billingRpcHandlers = (ledger: Ledger) => ({
  async openAccount(request: unknown): Promise<RpcReply> {
    const command = parsed(billingRpc.openAccount, request);
    if ("refused" in command) return command.refused;
    try {
      return { ok: true, account: await ledger.openAccount(command.data) };
    } catch (error) {
      return failure(error);
    }
  },
  async getAccount(request: unknown): Promise<RpcReply> {
    const query = parsed(billingRpc.getAccount, request);
    if ("refused" in query) return query.refused;
    const account = await ledger.account(query.data.accountId);
    return account ? { ok: true, account } : noAccount(query.data.accountId);
  },
  async credit(request: unknown): Promise<RpcReply> {
    const command = parsed(billingRpc.credit, request);
    if ("refused" in command) return command.refused;
    try {
      return { ok: true, account: await ledger.credit(command.data) };
    } catch (error) {
      return failure(error);
    }
  },
  async ledger(request: unknown): Promise<LedgerReply> {
    const query = parsed(billingRpc.ledger, request);
    if ("refused" in query) return query.refused;
    const page = await ledger.ledgerPage(query.data);
    if (!page) return noAccount(query.data.accountId);
    // Positions are the store's own order, not part of the ledger.
    const events = page.events.map(({ position: _position, ...envelope }) => envelope);
    return { ok: true, events, hasMore: page.hasMore };
  },
});
