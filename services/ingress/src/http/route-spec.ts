import { openAiErrorSchema } from "@reelgate/contracts";
import type { FastifySchema } from "fastify";
import { z } from "zod";

/** What a route takes and gives, as the zod schemas that also validate it: one source for checks and docs. */
export interface RouteDoc {
  summary: string;
  tags: string[];
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  /** Successful answers by status; errors are always OpenAI's error shape. */
  response: Record<number, z.ZodType | { description: string; contentTypes: string[] }>;
  consumes?: string[];
  /** Which credential opens it. */
  security: "apiKey" | "admin" | "none";
}

const toJsonSchema = (schema: z.ZodType, io: "input" | "output") => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** The fastify route schema @fastify/swagger turns into OpenAPI; fastify's own validation is off (zod validates). */
export const routeSchema = (doc: RouteDoc): FastifySchema => {
  const response: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(doc.response)) {
    response[status] =
      answer instanceof z.ZodType
        ? { description: "OK", ...toJsonSchema(answer, "output") }
        : {
            description: answer.description,
            content: Object.fromEntries(
              answer.contentTypes.map((type) => [type, { schema: { type: "string", format: "binary" } }]),
            ),
          };
  }
  response["4XX"] = { description: "An error in OpenAI's shape", ...toJsonSchema(openAiErrorSchema, "output") };
  return {
    summary: doc.summary,
    tags: doc.tags,
    ...(doc.body ? { body: toJsonSchema(doc.body, "input") } : {}),
    ...(doc.querystring ? { querystring: toJsonSchema(doc.querystring, "input") } : {}),
    ...(doc.params ? { params: toJsonSchema(doc.params, "input") } : {}),
    ...(doc.consumes ? { consumes: doc.consumes } : {}),
    response,
    ...(doc.security === "none"
      ? { security: [] }
      : { security: [{ [doc.security === "admin" ? "adminToken" : "apiKey"]: [] }] }),
  } as FastifySchema;
};
