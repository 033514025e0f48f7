import { z } from "zod";
import { rpcFailureSchema } from "./admin.ts";
import { videoStatuses } from "./video.ts";

/** The webhook event types Reelgate sends (SPEC §1.5); OpenAI's other types name nothing Reelgate does. */
export const webhookEventTypes = ["video.completed", "video.failed"] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** SPEC §1.5: OpenAI's webhook endpoints API, the same shapes as `client.webhooks.*` of the official SDKs. */
export const webhookEndpointSchema = z.object({
  id: z.string(),
  object: z.literal("webhook_endpoint"),
  name: z.string(),
  url: z.string(),
  event_types: z.array(z.string()),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  signing_secret_hint: z.string().nullable(),
});
export type WebhookEndpointJson = z.infer<typeof webhookEndpointSchema>;

export const webhookEndpointWithSecretSchema = webhookEndpointSchema.extend({
  signing_secret: z.string().describe("whsec_…: shown only on create and rotation"),
});

export const webhookEndpointListSchema = z.object({
  object: z.literal("list"),
  data: z.array(webhookEndpointSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

export const deletedWebhookEndpointSchema = z.object({
  id: z.string(),
  object: z.literal("webhook_endpoint.deleted"),
  deleted: z.literal(true),
});

export const webhookTestResultSchema = z.object({
  object: z.literal("webhook_endpoint.test"),
  webhook_endpoint_id: z.string(),
  event_type: z.string(),
  status_code: z.number().int(),
  success: z.literal(true),
});

export const webhookEventTypeListSchema = z.object({ object: z.literal("list"), data: z.array(z.string()) });

const name = z.string().min(1).max(256);
const url = z.string().min(1).max(2048);
const eventTypes = z.array(z.string()).min(1).max(50);

export const createWebhookEndpointRequestSchema = z.strictObject({ name, url, event_types: eventTypes });
export const updateWebhookEndpointRequestSchema = z.strictObject({
  name: name.optional(),
  url: url.optional(),
  event_types: eventTypes.optional(),
});
export const rotateWebhookSecretRequestSchema = z.strictObject({
  keep_old_secret_active_for_24_hours: z.boolean().optional(),
});
export const testWebhookEndpointRequestSchema = z.strictObject({ event_type: z.string() });
export const listWebhookEndpointsQuerySchema = z.strictObject({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** One delivery of an event to an endpoint, with every POST made for it (the admin history). */
export const webhookDeliverySchema = z.object({
  id: z.string().describe("The event's id (evt_…), also its webhook-id"),
  object: z.literal("webhook_delivery"),
  webhook_endpoint_id: z.string(),
  event_type: z.string(),
  video_id: z.string(),
  status: z.enum(["pending", "delivered", "abandoned"]),
  scheduled_at: z.number().int(),
  next_attempt_at: z.number().int().nullable(),
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      attempted_at: z.number().describe("Unix seconds, with milliseconds"),
      status_code: z.number().int().nullable(),
      error: z.string().nullable(),
    }),
  ),
});
export const webhookDeliveryListSchema = z.object({ object: z.literal("list"), data: z.array(webhookDeliverySchema) });

/** The commands ingress sends the notifier over NATS request/reply (subject `rpc.notifier.{command}`). */
export const notifierRpc = {
  create: z.object({ accountId: z.string(), body: createWebhookEndpointRequestSchema }),
  retrieve: z.object({ accountId: z.string(), endpointId: z.string() }),
  list: z.object({ accountId: z.string(), after: z.string().optional(), limit: z.number().int().min(1).max(100) }),
  update: z.object({ accountId: z.string(), endpointId: z.string(), body: updateWebhookEndpointRequestSchema }),
  delete: z.object({ accountId: z.string(), endpointId: z.string() }),
  rotateSecret: z.object({ accountId: z.string(), endpointId: z.string(), body: rotateWebhookSecretRequestSchema }),
  test: z.object({ accountId: z.string(), endpointId: z.string(), body: testWebhookEndpointRequestSchema }),
  deliveries: z.object({ endpointId: z.string(), limit: z.number().int().min(1).max(1000) }),
};
export type NotifierCommand = keyof typeof notifierRpc;

/** `{ok: true, result}` (the answer's JSON as the public API gives it) or a failure. */
export const notifierReplySchema = z.union([z.object({ ok: z.literal(true), result: z.unknown() }), rpcFailureSchema]);
export type NotifierReply = z.infer<typeof notifierReplySchema>;

/**
 * The notifier asks ingress what a video's GET answers now (subject `rpc.ingress.videoStatus`), so an event
 * is sent only once the GET already answers it: ingress's read model may lag the events by a moment.
 */
export const videoStatusRpc = z.object({ videoId: z.string() });
export const videoStatusReplySchema = z.object({ ok: z.literal(true), status: z.enum(videoStatuses).nullable() });
