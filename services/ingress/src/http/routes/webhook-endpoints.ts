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
import { z } from "zod";
import type { NotifierClient } from "../../adapters/notifier-client.ts";
import type { AdminGuard } from "../auth.ts";
import { parseRequest } from "../parse.ts";
import { type RouteDoc, routeSchema } from "../route-spec.ts";

const idParams = z.object({ id: z.string().describe("The webhook endpoint's id (whe_…)") });
type ById = { Params: { id: string } };
const doc = (route: Omit<RouteDoc, "tags" | "security">) => ({
  schema: routeSchema({ ...route, tags: ["Webhooks"], security: "apiKey" }),
});
/** A body-less POST (the SDKs send `{}`, curl may send nothing) is an empty object. */
const bodyOf = (body: unknown) => body ?? {};

/** SPEC §1.5: OpenAI's webhook endpoints API, per account; the notifier holds the endpoints and signs. */
export const webhookEndpointRoutes = (api: FastifyInstance, { notifier }: { notifier: NotifierClient }) => {
  api.post(
    "/v1/webhook_endpoints",
    doc({
      summary: "Create a webhook endpoint; its signing secret is shown only here",
      body: createWebhookEndpointRequestSchema,
      response: { 200: webhookEndpointWithSecretSchema },
    }),
    async (request) =>
      notifier.call("create", {
        accountId: request.accountId,
        body: parseRequest(createWebhookEndpointRequestSchema, request.body),
      }),
  );
  api.get(
    "/v1/webhook_endpoints",
    doc({
      summary: "List the account's webhook endpoints, newest first",
      querystring: listWebhookEndpointsQuerySchema,
      response: { 200: webhookEndpointListSchema },
    }),
    async (request) => {
      const { after, limit } = parseRequest(listWebhookEndpointsQuerySchema, request.query);
      return notifier.call("list", { accountId: request.accountId, limit, ...(after ? { after } : {}) });
    },
  );
  api.get<ById>(
    "/v1/webhook_endpoints/:id",
    doc({ summary: "Retrieve a webhook endpoint", params: idParams, response: { 200: webhookEndpointSchema } }),
    async (request) => notifier.call("retrieve", { accountId: request.accountId, endpointId: request.params.id }),
  );
  api.post<ById>(
    "/v1/webhook_endpoints/:id",
    doc({
      summary: "Update a webhook endpoint's name, URL or event types",
      params: idParams,
      body: updateWebhookEndpointRequestSchema,
      response: { 200: webhookEndpointSchema },
    }),
    async (request) =>
      notifier.call("update", {
        accountId: request.accountId,
        endpointId: request.params.id,
        body: parseRequest(updateWebhookEndpointRequestSchema, bodyOf(request.body)),
      }),
  );
  api.delete<ById>(
    "/v1/webhook_endpoints/:id",
    doc({ summary: "Delete a webhook endpoint", params: idParams, response: { 200: deletedWebhookEndpointSchema } }),
    async (request) => notifier.call("delete", { accountId: request.accountId, endpointId: request.params.id }),
  );
  api.post<ById>(
    "/v1/webhook_endpoints/:id/rotate_secret",
    doc({
      summary: "Rotate the signing secret; with keep_old_secret_active_for_24_hours both sign for 24 hours",
      params: idParams,
      body: rotateWebhookSecretRequestSchema,
      response: { 200: webhookEndpointWithSecretSchema },
    }),
    async (request) =>
      notifier.call("rotateSecret", {
        accountId: request.accountId,
        endpointId: request.params.id,
        body: parseRequest(rotateWebhookSecretRequestSchema, bodyOf(request.body)),
      }),
  );
  api.post<ById>(
    "/v1/webhook_endpoints/:id/test",
    doc({
      summary: "Send one signed sample event to the endpoint and answer its status code",
      params: idParams,
      body: testWebhookEndpointRequestSchema,
      response: { 200: webhookTestResultSchema },
    }),
    async (request) =>
      notifier.call("test", {
        accountId: request.accountId,
        endpointId: request.params.id,
        body: parseRequest(testWebhookEndpointRequestSchema, request.body),
      }),
  );
  api.get(
    "/v1/webhook_event_types",
    doc({ summary: "The webhook event types this gateway sends", response: { 200: webhookEventTypeListSchema } }),
    async () => ({ object: "list", data: [...webhookEventTypes] }),
  );
};

/** `GET /admin/v1/webhook_endpoints/{id}/deliveries`: every delivery and attempt, for operators. */
export const webhookAdminRoutes = (
  app: FastifyInstance,
  { notifier, guard }: { notifier: NotifierClient; guard: AdminGuard },
) => {
  app.register(async (admin) => {
    admin.addHook("onRequest", guard);
    admin.get<ById & { Querystring: { limit?: string } }>(
      "/admin/v1/webhook_endpoints/:id/deliveries",
      {
        schema: routeSchema({
          summary: "A webhook endpoint's deliveries, newest first, with every attempt (time, status code, error)",
          tags: ["Admin"],
          security: "admin",
          params: idParams,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: webhookDeliveryListSchema },
        }),
      },
      async (request) => {
        const { limit } = parseRequest(
          z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          request.query,
        );
        return notifier.call("deliveries", { endpointId: request.params.id, limit });
      },
    );
  });
};
