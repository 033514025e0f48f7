import { billingRpc, type LedgerReply, type RpcReply } from "@reelgate/contracts";
import { AccountRuleError } from "../domain/decide.ts";
import type { Ledger } from "./ledger.ts";

const failure = (error: unknown): RpcReply => {
  if (error instanceof AccountRuleError)
    return { ok: false, status: error.status, message: error.message, code: error.code, param: error.param };
  throw error;
};

const noAccount = (accountId: string) => ({
  ok: false as const,
  status: 404,
  message: `no account ${accountId}`,
  code: "not_found",
});

/** The synchronous admin commands ingress sends billing over NATS request/reply. */
export const billingRpcHandlers = (ledger: Ledger) => ({
  async openAccount(request: unknown): Promise<RpcReply> {
    try {
      return { ok: true, account: await ledger.openAccount(billingRpc.openAccount.parse(request)) };
    } catch (error) {
      return failure(error);
    }
  },
  async getAccount(request: unknown): Promise<RpcReply> {
    const { accountId } = billingRpc.getAccount.parse(request);
    const account = await ledger.account(accountId);
    return account ? { ok: true, account } : noAccount(accountId);
  },
  async credit(request: unknown): Promise<RpcReply> {
    try {
      return { ok: true, account: await ledger.credit(billingRpc.credit.parse(request)) };
    } catch (error) {
      return failure(error);
    }
  },
  async ledger(request: unknown): Promise<LedgerReply> {
    const parsed = billingRpc.ledger.parse(request);
    const page = await ledger.ledgerPage(parsed);
    if (!page) return noAccount(parsed.accountId);
    // Positions are the store's own order, not part of the ledger.
    const events = page.events.map(({ position: _position, ...envelope }) => envelope);
    return { ok: true, events, hasMore: page.hasMore };
  },
});
