import type { NatsConnection } from "@nats-io/transport-node";
import {
  type AccountSnapshot,
  type billingRpc,
  type Envelope,
  type LedgerReply,
  ledgerReplySchema,
  type NatsNames,
  type RpcFailure,
  type RpcReply,
  rpcReplySchema,
} from "@reelgate/contracts";
import { requestRpc } from "@reelgate/messaging";
import type { z } from "zod";
import { type DomainError, UnavailableError } from "../domain/errors.ts";
import { fromRemoteRefusal } from "./remote-refusal.ts";

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

/** Billing's refusal as the API's error, with the code and field billing named. */
export const billingError = (failure: RpcFailure): DomainError =>
  fromRemoteRefusal(failure, (kind) => (kind === "not_found" ? "not_found" : "billing_error"));

const unwrap = (reply: RpcReply): AccountSnapshot => {
  if (reply.ok) return reply.account;
  throw billingError(reply);
};

const unwrapLedger = (reply: LedgerReply): LedgerPage => {
  if (reply.ok) return { events: reply.events, hasMore: reply.hasMore };
  throw billingError(reply);
};

/** Billing's synchronous admin commands over NATS request/reply: the answer comes once the change is durable. */
export const natsBillingClient = (nc: NatsConnection, names: NatsNames): BillingClient => {
  const call = async <T>(command: string, payload: unknown, read: (reply: unknown) => T): Promise<T> => {
    let reply: unknown;
    try {
      reply = await requestRpc(nc, names.rpcSubject("billing", command), payload, 10_000);
    } catch (error) {
      throw new UnavailableError(`Billing is not answering: ${(error as Error).message}`, {
        code: "billing_unavailable",
      });
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
