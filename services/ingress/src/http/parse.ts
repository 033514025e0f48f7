import type { z } from "zod";
import { ApiError } from "./api-error.ts";

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
  const missing = issue.code === "invalid_type" && issue.input === undefined;
  const message = missing ? `Missing required parameter: '${param}'.` : `Invalid '${param}': ${issue.message}.`;
  throw new ApiError(400, message, { param, code: missing ? "missing_required_parameter" : "invalid_value" });
};
