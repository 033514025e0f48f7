import { accountViewSchema, ledgerPageSchema, ledgerQuerySchema } from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { type AccountService, accountJson } from "../../application/accounts.ts";
import { routeSchema } from "../route-spec.ts";

/** The caller's own account: what a tenant may know of its balance and ledger (the admin API sees every account). */
export const accountRoutes = (fastify: FastifyInstance, { accounts }: { accounts: AccountService }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/v1/account",
    {
      schema: routeSchema({
        summary: "Your account's balance and what open jobs hold reserved, as billing holds them now",
        tags: ["Account"],
        response: { 200: accountViewSchema },
        security: "apiKey",
      }),
    },
    async (request) => accountJson(await accounts.get(request.accountId)),
  );
  app.get(
    "/v1/account/ledger",
    {
      schema: routeSchema({
        summary: "Your account's billing events, oldest first",
        tags: ["Account"],
        querystring: ledgerQuerySchema,
        response: { 200: ledgerPageSchema },
        security: "apiKey",
      }),
    },
    async (request) => accounts.ledger(request.accountId, request.query),
  );
};
