import type { z } from "zod";
import { ApiError } from "./api-error.ts";

/** The value the client sent at `path`, to tell a missing field from one of the wrong type. */
const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (value, key) => (value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );

/** What the client sent, in a few words: its JSON type and, for short scalars, the value itself. */
const describeSent = (value: unknown): string => {
  const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  const article = kind === "null" || kind === "an array" ? "" : /^[aeiou]/.test(kind) ? "an " : "a ";
  const shown =
    typeof value === "string" || typeof value === "number" || typeof value === "boolean"
      ? ` (${JSON.stringify(String(value).length > 40 ? `${String(value).slice(0, 40)}…` : value)})`
      : "";
  return `${article}${kind}${shown}`;
};

const expectedOf = (issue: z.core.$ZodIssue): string | undefined => {
  if (issue.code === "invalid_type") return issue.expected === "int" ? "integer" : issue.expected;
  if (issue.code === "invalid_union") return "string or number";
  return undefined;
};

/** Validates a request part with its zod schema; the first problem becomes a 400 naming the field. */
export const parseRequest = <T extends z.ZodType>(schema: T, input: unknown): z.infer<T> => {
  if (input === undefined || input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_request" });
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const field = issue.keys[0] ?? "";
    throw new ApiError(400, `Unknown parameter: '${field}'.`, { param: field, code: "unknown_parameter" });
  }
  const param = issue.path.map(String).join(".") || null;
  const sent = valueAt(input, issue.path);
  // zod does not say what it was given: a field is missing only when the client sent nothing for it.
  if (sent === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    throw new ApiError(400, `Missing required parameter: '${param}'.`, { param, code: "missing_required_parameter" });
  }
  const expected = expectedOf(issue);
  if (expected) {
    throw new ApiError(400, `Invalid type for '${param}': expected ${expected}, but got ${describeSent(sent)}.`, {
      param,
      code: "invalid_type",
    });
  }
  throw new ApiError(400, `Invalid '${param}': ${issue.message}.`, { param, code: "invalid_value" });
};
