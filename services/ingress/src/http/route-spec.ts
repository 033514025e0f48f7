import { openAiErrorSchema } from "@reelgate/contracts";
import { z } from "zod";

/** A binary answer (media bytes): documented per content type, streamed as it is (never serialised). */
export interface BinaryAnswer {
  description: string;
  contentTypes: string[];
}

/**
 * What a route takes and gives, as zod schemas: fastify validates requests and serialises answers with them
 * (fastify-type-provider-zod, app.ts), and `/openapi.json` is generated from them. One source for all three.
 */
export interface RouteDoc {
  summary: string;
  tags: string[];
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  /** Successful answers by status; errors are always OpenAI's error shape. */
  response: Record<number, z.ZodType | BinaryAnswer>;
  consumes?: string[];
  /** Which credential opens it. */
  security: "apiKey" | "admin" | "none";
}

/** @fastify/swagger takes a response's description from this key (and drops it from the schema). */
const described = <T extends z.ZodType>(schema: T, description: string): T =>
  schema.meta({ "x-response-description": description }) as T;

/**
 * Every error in OpenAI's shape, for the docs. Errors are written by the error handler, whose bodies are
 * OpenAI's shape by construction: this schema is documented, not serialised (app.ts).
 */
export const errorAnswer = described(openAiErrorSchema, "An error in OpenAI's shape");

const binary = z.string().meta({ format: "binary" });

const origins = new WeakMap<z.ZodType, z.ZodType>();

/** The schema a route's answer was described from: fastify is given a described copy (app.ts's serializers). */
export const answerOrigin = (schema: unknown): z.ZodType | undefined =>
  schema instanceof z.ZodType ? origins.get(schema) : undefined;

const answerSchema = (answer: z.ZodType | BinaryAnswer) => {
  if (!(answer instanceof z.ZodType))
    return {
      description: answer.description,
      content: Object.fromEntries(answer.contentTypes.map((type) => [type, { schema: binary }])),
    };
  const copy = described(answer, "OK");
  origins.set(copy, answer);
  return copy;
};

type Answers<D extends RouteDoc> = {
  [S in keyof D["response"]]: D["response"][S] extends z.ZodType ? D["response"][S] : unknown;
};

/**
 * The fastify route schema of a route: its zod schemas as they are (typed, for `ZodTypeProvider`), its
 * answers described, the 4XX error entry, and who may call it.
 */
export const routeSchema = <const D extends RouteDoc>(doc: D) => {
  const response: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(doc.response)) response[status] = answerSchema(answer);
  response["4XX"] = errorAnswer;
  return {
    summary: doc.summary,
    tags: doc.tags,
    ...(doc.body ? { body: doc.body } : {}),
    ...(doc.querystring ? { querystring: doc.querystring } : {}),
    ...(doc.params ? { params: doc.params } : {}),
    ...(doc.consumes ? { consumes: doc.consumes } : {}),
    response,
    security: doc.security === "none" ? [] : [{ [doc.security === "admin" ? "adminToken" : "apiKey"]: [] }],
  } as {
    summary: string;
    tags: string[];
    body: D["body"];
    querystring: D["querystring"];
    params: D["params"];
    response: Answers<D>;
  };
};

/** A body that may be left out (curl sends none, the SDKs `{}`): no body is an empty object. */
export const optionalBody = <T extends z.ZodType>(schema: T) => z.preprocess((body) => body ?? {}, schema);
