import { newEventId } from "@reelgate/contracts";
import type { PostWebhook } from "../adapters/outbound.ts";
import { activeSecrets, signedHeaders } from "../adapters/sign.ts";
import { checkEventTypes } from "../domain/event-types.ts";
import { NotifierRuleError } from "../domain/rule-error.ts";
import { eventBody } from "./deliveries.ts";
import type { WebhookEndpoints } from "./endpoints.ts";
import type { NotifierStores } from "./stores.ts";

/** `POST /v1/webhook_endpoints/{id}/test`: one sample event, signed like a real one, sent now and not retried. */
export const testDelivery =
  ({
    endpoints,
    stores,
    post,
    now,
  }: {
    endpoints: WebhookEndpoints;
    stores: NotifierStores;
    post: PostWebhook;
    now: () => Date;
  }) =>
  async (accountId: string, endpointId: string, eventType: string) => {
    const endpoint = await endpoints.own(accountId, endpointId);
    const [type] = checkEventTypes([eventType], "event_type");
    const secrets = await stores.secrets.get(endpointId);
    if (!secrets) throw new NotifierRuleError("No webhook endpoint found.", "not_found", { code: "not_found" });
    const eventId = newEventId();
    const signedAt = now();
    const seconds = Math.floor(signedAt.getTime() / 1000);
    const body = eventBody(eventId, type!, seconds, `video_test_${eventId.slice(4, 20)}`);
    const headers = signedHeaders(eventId, body, activeSecrets(secrets.doc, seconds), signedAt);
    const result = await post(endpoint.url, { headers, body });
    if (result.statusCode === null)
      throw new NotifierRuleError(`The test delivery did not get an answer: ${result.error}`, "invalid", {
        code: "webhook_delivery_failed",
      });
    return {
      object: "webhook_endpoint.test" as const,
      webhook_endpoint_id: endpointId,
      event_type: type!,
      status_code: result.statusCode,
      success: true as const,
    };
  };
