import {
  createWebhookEndpointRequestSchema,
  deletedWebhookEndpointSchema,
  listWebhookEndpointsQuerySchema,
  rotateWebhookSecretRequestSchema,
  testWebhookEndpointRequestSchema,
  updateWebhookEndpointRequestSchema,
  webhookDeliveryListSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
  webhookEventTypeListSchema,
  webhookEventTypes,
  webhookTestResultSchema,
} from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { NotifierClient } from "../../adapters/notifier-client.ts";
import type { AdminGuard } from "../auth.ts";
import { optionalBody, type RouteDoc, routeSchema } from "../route-spec.ts";

const idParams = z.object({ id: z.string().describe("The webhook endpoint's id (whe_…)") });
/**
 * The notifier's answer, shown as it is: its type is not known here, the route's response schema checks it
 * as it is serialised (an answer off the documented shape is a 500, never a wrong body).
 */
const relayed = (answer: Promise<unknown>) => answer as Promise<never>;
const deliveriesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const doc = <const D extends Omit<RouteDoc, "tags" | "security">>(route: D) => ({
  schema: routeSchema({ ...route, tags: ["Webhooks"], security: "apiKey" as const }),
});

/** SPEC §1.5: OpenAI's webhook endpoints API, per account; the notifier holds the endpoints and signs. */
export const webhookEndpointRoutes = (fastify: FastifyInstance, { notifier }: { notifier: NotifierClient }) => {
  const api = fastify.withTypeProvider<ZodTypeProvider>();
  api.post(
    "/v1/webhook_endpoints",
    doc({
      summary: "Create a webhook endpoint; its signing secret is shown only here",
      body: createWebhookEndpointRequestSchema,
      response: { 200: webhookEndpointWithSecretSchema },
    }),
    async (request) =>
      relayed(
        notifier.call("create", {
          accountId: request.accountId,
          body: request.body,
        }),
      ),
  );
  api.get(
    "/v1/webhook_endpoints",
    doc({
      summary: "List the account's webhook endpoints, newest first",
      querystring: listWebhookEndpointsQuerySchema,
      response: { 200: webhookEndpointListSchema },
    }),
    async (request) => {
      const { after, limit } = request.query;
      return relayed(notifier.call("list", { accountId: request.accountId, limit, ...(after ? { after } : {}) }));
    },
  );
  api.get(
    "/v1/webhook_endpoints/:id",
    doc({ summary: "Retrieve a webhook endpoint", params: idParams, response: { 200: webhookEndpointSchema } }),
    async (request) =>
      relayed(notifier.call("retrieve", { accountId: request.accountId, endpointId: request.params.id })),
  );
  api.post(
    "/v1/webhook_endpoints/:id",
    doc({
      summary: "Update a webhook endpoint's name, URL or event types",
      params: idParams,
      body: optionalBody(updateWebhookEndpointRequestSchema),
      response: { 200: webhookEndpointSchema },
    }),
    async (request) =>
      relayed(
        notifier.call("update", {
          accountId: request.accountId,
          endpointId: request.params.id,
          body: request.body,
        }),
      ),
  );
  api.delete(
    "/v1/webhook_endpoints/:id",
    doc({ summary: "Delete a webhook endpoint", params: idParams, response: { 200: deletedWebhookEndpointSchema } }),
    async (request) =>
      relayed(notifier.call("delete", { accountId: request.accountId, endpointId: request.params.id })),
  );
  api.post(
    "/v1/webhook_endpoints/:id/rotate_secret",
    doc({
      summary: "Rotate the signing secret; with keep_old_secret_active_for_24_hours both sign for 24 hours",
      params: idParams,
      body: optionalBody(rotateWebhookSecretRequestSchema),
      response: { 200: webhookEndpointWithSecretSchema },
    }),
    async (request) =>
      relayed(
        notifier.call("rotateSecret", {
          accountId: request.accountId,
          endpointId: request.params.id,
          body: request.body,
        }),
      ),
  );
  api.post(
    "/v1/webhook_endpoints/:id/test",
    doc({
      summary: "Send one signed sample event to the endpoint and answer its status code",
      params: idParams,
      body: testWebhookEndpointRequestSchema,
      response: { 200: webhookTestResultSchema },
    }),
    async (request) =>
      relayed(
        notifier.call("test", {
          accountId: request.accountId,
          endpointId: request.params.id,
          body: request.body,
        }),
      ),
  );
  api.get(
    "/v1/webhook_event_types",
    doc({ summary: "The webhook event types this gateway sends", response: { 200: webhookEventTypeListSchema } }),
    async () => ({ object: "list" as const, data: [...webhookEventTypes] }),
  );
};

/** `GET /admin/v1/webhook_endpoints/{id}/deliveries`: every delivery and attempt, for operators. */
export const webhookAdminRoutes = (
  app: FastifyInstance,
  { notifier, guard }: { notifier: NotifierClient; guard: AdminGuard },
) => {
  app.register(async (scope) => {
    scope.addHook("onRequest", guard);
    scope.withTypeProvider<ZodTypeProvider>().get(
      "/admin/v1/webhook_endpoints/:id/deliveries",
      {
        schema: routeSchema({
          summary: "A webhook endpoint's deliveries, newest first, with every attempt (time, status code, error)",
          tags: ["Admin"],
          security: "admin",
          params: idParams,
          querystring: deliveriesQuerySchema,
          response: { 200: webhookDeliveryListSchema },
        }),
      },
      async (request) => {
        return relayed(notifier.call("deliveries", { endpointId: request.params.id, limit: request.query.limit }));
      },
    );
  });
};
