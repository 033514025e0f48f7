import { createdVideoSchema, videoListSchema, videoSchema } from "@reelgate/contracts";
import fastJson from "fast-json-stringify";
import { z } from "zod";

type JsonSchema = Record<string, unknown>;

/**
 * `anyOf: [X, {type: "null"}]` (how zod writes `.nullable()`) as X with `null` beside its type:
 * fast-json-stringify writes that with a type check, where an `anyOf` runs a JSON Schema validator per value.
 */
const nullableAsType = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(nullableAsType);
  if (node === null || typeof node !== "object") return node;
  const schema = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, nullableAsType(value)]));
  const options = schema.anyOf as JsonSchema[] | undefined;
  if (options?.length === 2 && options[1]?.type === "null" && typeof options[0]?.type === "string") {
    const { anyOf: _anyOf, ...rest } = schema;
    return { ...rest, ...options[0], type: [options[0].type, "null"] };
  }
  return schema;
};

/** A fast-json-stringify function from a zod schema's JSON Schema (as it describes answers: `io: "output"`). */
export const compileAnswer = (schema: z.ZodType): ((data: unknown) => string) =>
  fastJson(nullableAsType(z.toJSONSchema(schema, { io: "output" })) as Parameters<typeof fastJson>[0]);

/**
 * The answers written by a compiled serializer instead of zod's (which checks the answer, then
 * `JSON.stringify`s it): the Video object and what carries it, the most frequent answers. Plain objects
 * (strings, integers, enums, constants, nullables, arrays of them) whose bytes are `JSON.stringify`'s, key
 * for key in the schema's order (compiled-answer.unit.test.ts holds them side by side). What is not checked
 * any more: values within their types (an enum's members, an integer's range) — these answers are built
 * from the typed views (views/video-object.ts), not from outside input. A missing field still fails (500).
 */
export const compiledAnswers = new Map<z.ZodType, (data: unknown) => string>(
  [videoSchema, createdVideoSchema, videoListSchema].map((schema) => [schema, compileAnswer(schema)]),
);
