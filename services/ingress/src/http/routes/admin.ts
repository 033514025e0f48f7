import {
  accountViewSchema,
  creditRequestSchema,
  issueKeyRequestSchema,
  ledgerPageSchema,
  ledgerQuerySchema,
  openAccountRequestSchema,
  videoIdParamsSchema,
  videoSchema,
} from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { type AccountService, accountJson } from "../../application/accounts.ts";
import { ApiError } from "../api-error.ts";
import type { AdminGuard } from "../auth.ts";
import { optionalBody, type RouteDoc, routeSchema } from "../route-spec.ts";

const accountIdParams = z.object({ id: z.string().describe("The account's id (acct_…)") });
const keyIdParams = z.object({ key_id: z.string().describe("The API key's id (key_…)") });
const deletedKeySchema = z.object({ id: z.string(), object: z.literal("api_key.deleted"), deleted: z.literal(true) });
const historyEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  stream: z.string(),
  version: z.number().int(),
  occurred_at: z.string(),
  data: z.unknown(),
});
const videoHistorySchema = videoSchema.extend({
  account_id: z.string(),
  deleted: z.boolean().describe("Deleted by its owner: gone from the public API, kept for the record"),
  events: z.array(historyEventSchema).describe("Every event about the video from all four services, oldest first"),
});

const adminDoc = <const D extends Omit<RouteDoc, "tags" | "security">>(doc: D) => ({
  schema: routeSchema({ ...doc, tags: ["Admin"], security: "admin" as const }),
});

export const adminRoutes = (
  app: FastifyInstance,
  { accounts, guard }: { accounts: AccountService; guard: AdminGuard },
) => {
  app.register(async (scope) => {
    scope.addHook("onRequest", guard);
    const admin = scope.withTypeProvider<ZodTypeProvider>();

    admin.post(
      "/admin/v1/accounts",
      adminDoc({
        summary: "Open an account, with opening credits",
        body: openAccountRequestSchema,
        response: { 201: accountViewSchema },
      }),
      async (request, reply) => {
        const { body } = request;
        const credits = body.credits_usd ?? 0;
        if (credits < 0)
          throw new ApiError(400, "Invalid 'credits_usd': must not be negative.", { param: "credits_usd" });
        return reply.code(201).send(accountJson(await accounts.open(body.name, credits)));
      },
    );

    admin.get(
      "/admin/v1/accounts/:id",
      adminDoc({
        summary: "An account's balance, as billing holds it now",
        params: accountIdParams,
        response: { 200: accountViewSchema },
      }),
      async (request) => accountJson(await accounts.get(request.params.id)),
    );

    admin.post(
      "/admin/v1/accounts/:id/keys",
      adminDoc({
        summary: "Issue an API key for an account (shown only in this answer)",
        params: accountIdParams,
        body: optionalBody(issueKeyRequestSchema),
        response: { 201: z.object({ id: z.string(), key: z.string() }) },
      }),
      async (request, reply) => {
        const { body } = request;
        return reply.code(201).send(await accounts.issueKey(request.params.id, body.name ?? "default"));
      },
    );

    admin.post(
      "/admin/v1/accounts/:id/credits",
      adminDoc({
        summary: "Top up an account (a negative amount adjusts); the same reference twice is applied once",
        params: accountIdParams,
        body: creditRequestSchema,
        response: { 200: accountViewSchema },
      }),
      async (request) => {
        const { body } = request;
        const amount = body.amount_usd;
        if (amount === 0) throw new ApiError(400, "Invalid 'amount_usd': must not be zero.", { param: "amount_usd" });
        return accountJson(await accounts.credit(request.params.id, amount, body.reference));
      },
    );

    admin.get(
      "/admin/v1/accounts/:id/ledger",
      adminDoc({
        summary: "The account's billing events, oldest first, for auditors",
        params: accountIdParams,
        querystring: ledgerQuerySchema,
        response: { 200: ledgerPageSchema },
      }),
      async (request) => {
        return accounts.ledger(request.params.id, request.query);
      },
    );

    admin.delete(
      "/admin/v1/keys/:key_id",
      adminDoc({
        summary: "Revoke an API key: it stops working at once (a repeat answers the same)",
        params: keyIdParams,
        response: { 200: deletedKeySchema },
      }),
      async (request) => accounts.revokeKey(request.params.key_id),
    );

    admin.get(
      "/admin/v1/videos/:id",
      adminDoc({
        summary: "A video with its whole event history across services",
        params: videoIdParamsSchema,
        response: { 200: videoHistorySchema },
      }),
      async (request) => accounts.videoHistory(request.params.id),
    );
  });
};
