import { accountViewSchema, issueKeyRequestSchema, openAccountRequestSchema, parseUsd } from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type AccountService, accountJson } from "../../application/accounts.ts";
import { ApiError } from "../api-error.ts";
import { authenticateAdmin } from "../auth.ts";
import { parseRequest } from "../parse.ts";
import { type RouteDoc, routeSchema } from "../route-spec.ts";

const accountIdParams = z.object({ id: z.string().describe("The account's id (acct_…)") });
const adminDoc = (doc: Omit<RouteDoc, "tags" | "security">) => ({
  schema: routeSchema({ ...doc, tags: ["Admin"], security: "admin" }),
});

export const adminRoutes = (
  app: FastifyInstance,
  { accounts, adminToken }: { accounts: AccountService; adminToken: string },
) => {
  app.register(async (admin) => {
    admin.addHook("onRequest", async (request) => authenticateAdmin(request, adminToken));

    admin.post(
      "/admin/v1/accounts",
      adminDoc({
        summary: "Open an account, with opening credits",
        body: openAccountRequestSchema,
        response: { 201: accountViewSchema },
      }),
      async (request, reply) => {
        const body = parseRequest(openAccountRequestSchema, request.body);
        const credits = body.credits_usd === undefined ? 0 : parseUsd(body.credits_usd);
        if (credits < 0)
          throw new ApiError(400, "Invalid 'credits_usd': must not be negative.", { param: "credits_usd" });
        return reply.code(201).send(accountJson(await accounts.open(body.name, credits)));
      },
    );

    admin.get<{ Params: { id: string } }>(
      "/admin/v1/accounts/:id",
      adminDoc({
        summary: "An account's balance, as billing holds it now",
        params: accountIdParams,
        response: { 200: accountViewSchema },
      }),
      async (request) => accountJson(await accounts.get(request.params.id)),
    );

    admin.post<{ Params: { id: string } }>(
      "/admin/v1/accounts/:id/keys",
      adminDoc({
        summary: "Issue an API key for an account (shown only in this answer)",
        params: accountIdParams,
        body: issueKeyRequestSchema,
        response: { 201: z.object({ id: z.string(), key: z.string() }) },
      }),
      async (request, reply) => {
        const body = parseRequest(issueKeyRequestSchema, request.body ?? {});
        return reply.code(201).send(await accounts.issueKey(request.params.id, body.name ?? "default"));
      },
    );
  });
};
