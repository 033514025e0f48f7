import type { NatsConnection } from "@nats-io/transport-node";
import {
  type AccountSnapshot,
  type billingRpc,
  type NatsNames,
  type RpcReply,
  rpcReplySchema,
} from "@reelgate/contracts";
import { requestRpc } from "@reelgate/messaging";
import type { z } from "zod";
import { ApiError } from "../http/api-error.ts";

export interface BillingClient {
  openAccount(request: z.infer<typeof billingRpc.openAccount>): Promise<AccountSnapshot>;
  getAccount(accountId: string): Promise<AccountSnapshot>;
}

const unwrap = (reply: RpcReply): AccountSnapshot => {
  if (reply.ok) return reply.account;
  throw new ApiError(reply.status, reply.message, { code: reply.status === 404 ? "not_found" : "billing_error" });
};

/** Billing's synchronous admin commands over NATS request/reply: the answer comes once the change is durable. */
export const natsBillingClient = (nc: NatsConnection, names: NatsNames): BillingClient => {
  const call = async (command: string, payload: unknown) => {
    try {
      return unwrap(rpcReplySchema.parse(await requestRpc(nc, names.rpcSubject("billing", command), payload, 10_000)));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(503, `Billing is not answering: ${(error as Error).message}`, { code: "billing_unavailable" });
    }
  };
  return {
    openAccount: (request) => call("openAccount", request),
    getAccount: (accountId) => call("getAccount", { accountId }),
  };
};
