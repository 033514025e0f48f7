import { billingRpc, type RpcReply } from "@reelgate/contracts";
import { AccountRuleError } from "../domain/decide.ts";
import type { Ledger } from "./ledger.ts";

const failure = (error: unknown): RpcReply => {
  if (error instanceof AccountRuleError) return { ok: false, status: error.status, message: error.message };
  throw error;
};

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
    return account ? { ok: true, account } : { ok: false, status: 404, message: `no account ${accountId}` };
  },
});
