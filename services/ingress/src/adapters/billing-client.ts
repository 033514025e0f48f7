import type { NatsConnection } from "@nats-io/transport-node";
import {
  type AccountSnapshot,
  type billingRpc,
  type Envelope,
  type LedgerReply,
  ledgerReplySchema,
  type NatsNames,
  type RpcReply,
  rpcReplySchema,
} from "@reelgate/contracts";
import { requestRpc } from "@reelgate/messaging";
import type { z } from "zod";
import { ApiError } from "../http/api-error.ts";

export interface LedgerPage {
  events: Envelope[];
  hasMore: boolean;
}

export interface BillingClient {
  openAccount(request: z.infer<typeof billingRpc.openAccount>): Promise<AccountSnapshot>;
  getAccount(accountId: string): Promise<AccountSnapshot>;
  /** A top-up (positive) or an adjustment (negative); answers once billing has made it durable. */
  credit(request: z.infer<typeof billingRpc.credit>): Promise<AccountSnapshot>;
  /** A page of the account's billing events as billing stores them, oldest first. */
  ledger(request: z.infer<typeof billingRpc.ledger>): Promise<LedgerPage>;
}

/** Billing's refusal as the API's error; `param` and `code` say which field, where billing's status tells. */
export const billingError = (status: number, message: string): ApiError => {
  if (status === 404) return new ApiError(404, message, { code: "not_found" });
  if (status === 400)
    return new ApiError(400, `Invalid 'amount_usd': ${message}.`, { param: "amount_usd", code: "invalid_value" });
  if (status === 409) {
    const reference = /reference/i.test(message);
    return new ApiError(409, message, {
      param: reference ? "reference" : "amount_usd",
      code: reference ? "reference_reused" : "insufficient_funds",
    });
  }
  return new ApiError(status, message, { code: "billing_error" });
};

const unwrap = (reply: RpcReply): AccountSnapshot => {
  if (reply.ok) return reply.account;
  throw billingError(reply.status, reply.message);
};

const unwrapLedger = (reply: LedgerReply): LedgerPage => {
  if (reply.ok) return { events: reply.events, hasMore: reply.hasMore };
  throw billingError(reply.status, reply.message);
};

/** Billing's synchronous admin commands over NATS request/reply: the answer comes once the change is durable. */
export const natsBillingClient = (nc: NatsConnection, names: NatsNames): BillingClient => {
  const call = async <T>(command: string, payload: unknown, read: (reply: unknown) => T): Promise<T> => {
    let reply: unknown;
    try {
      reply = await requestRpc(nc, names.rpcSubject("billing", command), payload, 10_000);
    } catch (error) {
      throw new ApiError(503, `Billing is not answering: ${(error as Error).message}`, { code: "billing_unavailable" });
    }
    return read(reply);
  };
  const account = (reply: unknown) => unwrap(rpcReplySchema.parse(reply));
  return {
    openAccount: (request) => call("openAccount", request, account),
    getAccount: (accountId) => call("getAccount", { accountId }, account),
    credit: (request) => call("credit", request, account),
    ledger: (request) => call("ledger", request, (reply) => unwrapLedger(ledgerReplySchema.parse(reply))),
  };
};
