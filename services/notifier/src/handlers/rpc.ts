import { type NotifierCommand, type NotifierReply, notifierRpc } from "@reelgate/contracts";
import { NotifierRuleError } from "../domain/rule-error.ts";
import type { WebhookDeliveries } from "./deliveries.ts";
import type { WebhookEndpoints } from "./endpoints.ts";
import type { DeliveryDoc } from "./stores.ts";

const deliveryJson = (doc: DeliveryDoc) => ({
  id: doc.id,
  object: "webhook_delivery" as const,
  webhook_endpoint_id: doc.endpointId,
  event_type: doc.eventType,
  video_id: doc.videoId,
  status: doc.status,
  scheduled_at: Math.floor(doc.scheduledAtMs / 1000),
  next_attempt_at: doc.nextAttemptAtMs === null ? null : Math.floor(doc.nextAttemptAtMs / 1000),
  attempts: doc.attempts.map((attempt) => ({
    attempt: attempt.attempt,
    attempted_at: attempt.attemptedAtMs / 1000,
    status_code: attempt.statusCode,
    error: attempt.error,
  })),
});

const answer = async (work: () => Promise<unknown>): Promise<NotifierReply> => {
  try {
    return { ok: true, result: await work() };
  } catch (error) {
    if (error instanceof NotifierRuleError) return error.toReply();
    throw error;
  }
};

/** The commands ingress sends the notifier over NATS request/reply; answers are the public API's JSON. */
export const notifierRpcHandlers = (
  endpoints: WebhookEndpoints,
  deliveries: WebhookDeliveries,
  test: (accountId: string, endpointId: string, eventType: string) => Promise<unknown>,
): Record<NotifierCommand, (request: unknown) => Promise<NotifierReply>> => ({
  create: (request) =>
    answer(() => {
      const { accountId, body } = notifierRpc.create.parse(request);
      return endpoints.create(accountId, body);
    }),
  retrieve: (request) =>
    answer(() => {
      const { accountId, endpointId } = notifierRpc.retrieve.parse(request);
      return endpoints.retrieve(accountId, endpointId);
    }),
  list: (request) =>
    answer(() => {
      const { accountId, after, limit } = notifierRpc.list.parse(request);
      return endpoints.list(accountId, after, limit);
    }),
  update: (request) =>
    answer(() => {
      const { accountId, endpointId, body } = notifierRpc.update.parse(request);
      return endpoints.update(accountId, endpointId, body);
    }),
  delete: (request) =>
    answer(() => {
      const { accountId, endpointId } = notifierRpc.delete.parse(request);
      return endpoints.delete(accountId, endpointId);
    }),
  rotateSecret: (request) =>
    answer(() => {
      const { accountId, endpointId, body } = notifierRpc.rotateSecret.parse(request);
      return endpoints.rotateSecret(accountId, endpointId, body.keep_old_secret_active_for_24_hours ?? false);
    }),
  test: (request) =>
    answer(() => {
      const { accountId, endpointId, body } = notifierRpc.test.parse(request);
      return test(accountId, endpointId, body.event_type);
    }),
  deliveries: (request) =>
    answer(async () => {
      const { endpointId, limit } = notifierRpc.deliveries.parse(request);
      const found = await endpoints.exists(endpointId);
      if (!found) throw new NotifierRuleError("No webhook endpoint found.", "not_found", { code: "not_found" });
      return { object: "list", data: (await deliveries.history(endpointId, limit)).map(deliveryJson) };
    }),
});
