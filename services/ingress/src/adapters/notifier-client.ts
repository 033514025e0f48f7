import type { NatsConnection } from "@nats-io/transport-node";
import { type NatsNames, type NotifierCommand, notifierReplySchema, type notifierRpc } from "@reelgate/contracts";
import { requestRpc } from "@reelgate/messaging";
import type { z } from "zod";
import { UnavailableError } from "../domain/errors.ts";
import { fromRemoteRefusal } from "./remote-refusal.ts";

type Request<C extends NotifierCommand> = z.infer<(typeof notifierRpc)[C]>;

/** The notifier owns webhook endpoints and their secrets: ingress asks it, and shows its answer as it is. */
export interface NotifierClient {
  call<C extends NotifierCommand>(command: C, request: Request<C>): Promise<unknown>;
}

/** A test delivery may wait the receiver's whole 10 s. */
const TIMEOUT_MS: Partial<Record<NotifierCommand, number>> = { test: 20_000 };

export const natsNotifierClient = (nc: NatsConnection, names: NatsNames): NotifierClient => ({
  async call(command, request) {
    let reply: unknown;
    try {
      reply = await requestRpc(nc, names.rpcSubject("notifier", command), request, TIMEOUT_MS[command] ?? 10_000);
    } catch (error) {
      throw new UnavailableError(`The notifier is not answering: ${(error as Error).message}`, {
        code: "notifier_unavailable",
      });
    }
    const parsed = notifierReplySchema.parse(reply);
    if (parsed.ok) return parsed.result;
    throw fromRemoteRefusal(parsed, () => null);
  },
});
