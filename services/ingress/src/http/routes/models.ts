import { allowedSeconds, allowedSizes, type Catalog, formatUsd, modelNames, priceOf } from "@reelgate/contracts";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../api-error.ts";
import { routeSchema } from "../route-spec.ts";

const priceSchema = z.object({
  size: z.string(),
  seconds: z.string(),
  price_usd: z.string().describe("What one video of this size and length costs the caller (its multiplier applied)"),
});
export const modelSchema = z.object({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int().describe("Unix seconds: when this ingress loaded the catalog"),
  owned_by: z.string(),
  sizes: z.array(z.string()).describe("Sizes the model offers; the first is the default"),
  seconds: z.array(z.string()).describe("Lengths the model offers; the first is the default"),
  prices: z.array(priceSchema).describe("Every size and length the catalog prices, with the caller's price"),
});
const modelListSchema = z.object({ object: z.literal("list"), data: z.array(modelSchema) });
const modelIdParams = z.object({ id: z.string().describe("The model's id, e.g. sora-2") });

/** One model in OpenAI's shape, with the catalog's sizes, seconds and the caller's prices as extra fields. */
export const modelJson = (catalog: Catalog, id: string, created: number, accountId: string) => {
  const sizes = allowedSizes(catalog, id);
  const seconds = allowedSeconds(catalog, id);
  const prices = sizes.flatMap((size) =>
    seconds.flatMap((length) => {
      const price = priceOf({ model: id, size, seconds: length }, catalog, accountId);
      return price === undefined ? [] : [{ size, seconds: length, price_usd: formatUsd(price) }];
    }),
  );
  return { id, object: "model" as const, created, owned_by: "reelgate", sizes, seconds, prices };
};

/** OpenAI's Models API over the catalog: what may be asked for, and what it costs this caller. */
export const modelRoutes = (fastify: FastifyInstance, { catalog, created }: { catalog: Catalog; created: number }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/v1/models",
    {
      schema: routeSchema({
        summary: "The models of the catalog, with their sizes, seconds and your prices",
        tags: ["Models"],
        response: { 200: modelListSchema },
        security: "apiKey",
      }),
    },
    async (request) => ({
      object: "list" as const,
      data: modelNames(catalog).map((id) => modelJson(catalog, id, created, request.accountId)),
    }),
  );
  app.get(
    "/v1/models/:id",
    {
      schema: routeSchema({
        summary: "One model of the catalog, with its sizes, seconds and your prices",
        tags: ["Models"],
        params: modelIdParams,
        response: { 200: modelSchema },
        security: "apiKey",
      }),
    },
    async (request) => {
      if (!modelNames(catalog).includes(request.params.id)) throw notFound(`model with id '${request.params.id}'`);
      return modelJson(catalog, request.params.id, created, request.accountId);
    },
  );
};
