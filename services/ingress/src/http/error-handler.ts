import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import {
  BusyError,
  ConflictError,
  DomainError,
  InsufficientFundsError,
  InvalidFieldError,
  NotFoundError,
  TooLargeError,
  UnavailableError,
  UnsupportedMediaError,
  UnsupportedOperationError,
} from "../domain/errors.ts";
import { ApiError } from "./api-error.ts";

/** The one place a typed refusal becomes an HTTP status (and, for a busy one, a retry hint). */
const fromDomain = (error: DomainError): ApiError => {
  const options = { code: error.code, param: error.param };
  if (error instanceof BusyError)
    return error.scope === "account"
      ? new ApiError(429, error.message, { ...options, type: "requests", headers: { "retry-after": "1" } })
      : new ApiError(503, error.message, { ...options, headers: { "retry-after": "1" } });
  const status =
    error instanceof NotFoundError
      ? 404
      : error instanceof InvalidFieldError || error instanceof UnsupportedOperationError
        ? 400
        : error instanceof InsufficientFundsError
          ? 402
          : error instanceof ConflictError
            ? 409
            : error instanceof TooLargeError
              ? 413
              : error instanceof UnsupportedMediaError
                ? 415
                : error instanceof UnavailableError
                  ? 503
                  : 500;
  return new ApiError(status, error.message, options);
};

/** The value the client sent at `path`, to tell a missing field from one of the wrong type. */
const valueAt = (input: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (value, key) => (value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined),
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

type Validation = { keyword: string; instancePath: string; message: string; params: Record<string, unknown> };

/**
 * A request fastify's zod validation refused (body, querystring or params): its first problem as a 400
 * naming the field, in the words OpenAI uses.
 */
const fromValidation = (issue: Validation, context: string | undefined, request: FastifyRequest): ApiError => {
  const path = issue.instancePath.split("/").filter((key) => key !== "");
  const input = context === "querystring" ? request.query : context === "params" ? request.params : request.body;
  if (path.length === 0 && (input === null || typeof input !== "object" || Array.isArray(input))) {
    return new ApiError(400, "The request body must be a JSON object.", { code: "invalid_request" });
  }
  if (issue.keyword === "unrecognized_keys") {
    const field = String((issue.params.keys as unknown[] | undefined)?.[0] ?? "");
    return new ApiError(400, `Unknown parameter: '${field}'.`, { param: field, code: "unknown_parameter" });
  }
  const param = path.join(".") || null;
  const sent = valueAt(input, path);
  const union = issue.keyword === "invalid_union";
  // zod does not say what it was given: a field is missing only when the client sent nothing for it.
  if (sent === undefined && (issue.keyword === "invalid_type" || union)) {
    return new ApiError(400, `Missing required parameter: '${param}'.`, { param, code: "missing_required_parameter" });
  }
  const expected =
    issue.keyword === "invalid_type"
      ? issue.params.expected === "int"
        ? "integer"
        : String(issue.params.expected)
      : union
        ? "string or number"
        : undefined;
  if (expected) {
    return new ApiError(400, `Invalid type for '${param}': expected ${expected}, but got ${describeSent(sent)}.`, {
      param,
      code: "invalid_type",
    });
  }
  return new ApiError(400, `Invalid '${param}': ${issue.message}.`, { param, code: "invalid_value" });
};

/** Fastify's own errors, mapped to the status and wording an OpenAI client expects. */
const fromFastify = (error: FastifyError): ApiError => {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, "The request body is too large.", { code: "request_too_large" });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, `Unsupported Content-Type: send application/json or multipart/form-data.`, {
        code: "unsupported_media_type",
      });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, "The request body is empty; expected a JSON object.", { code: "invalid_json" });
    default:
      if (error instanceof SyntaxError || error.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
        return new ApiError(400, `The request body is not valid JSON: ${error.message}`, { code: "invalid_json" });
      }
      if (error.statusCode && error.statusCode < 500) return new ApiError(error.statusCode, error.message);
      return new ApiError(500, "The server had an error while processing your request.");
  }
};

/**
 * Errors of fastify's router, before any route or hook runs (the `frameworkErrors` option): an id longer than
 * any id (`FST_ERR_MAX_PARAM_LENGTH`) names nothing there is, and a malformed percent-encoding is a bad request.
 */
export const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
  const apiError =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? new ApiError(404, "Unknown request URL: a path segment is longer than any id (at most 100 characters).", {
          code: "unknown_url",
        })
      : error.code === "FST_ERR_BAD_URL"
        ? new ApiError(400, "The request URL is not valid: it has a malformed percent-encoding.", {
            code: "invalid_url",
          })
        : fromFastify(error);
  // No onRequest hook ran: the request id is named here.
  return reply.code(apiError.status).header("x-request-id", request.id).send(apiError.toBody());
};

/** Methods whose requests never carry a body: an empty one with `Content-Type: application/json` is no body. */
const bodiless = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);

/**
 * fastify's own JSON parser, except that a `GET` or `DELETE` with `Content-Type: application/json` and an empty
 * body is a request without a body (the Python SDK sends exactly that), not a 400 `invalid_json`.
 */
export const registerJsonParser = (app: FastifyInstance) => {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = String(body);
    if (bodiless.has(request.method) && text.trim() === "") return done(null, undefined);
    return parseJson(request, text, done);
  });
};

/** Any error as the API answers it: ours as they are, typed refusals by kind, invalid requests by their first problem, fastify's by code. */
export const toApiError = (error: unknown, request?: FastifyRequest): ApiError => {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return fromDomain(error);
  if (request && hasZodFastifySchemaValidationErrors(error))
    return fromValidation(error.validation[0] as unknown as Validation, error.validationContext, request);
  return fromFastify(error as FastifyError);
};

/** Every error leaves in OpenAI's shape `{error: {message, type, param, code}}`. */
export const registerErrorHandling = (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error, request);
    if (apiError.status >= 500) request.log.error({ err: error }, "request failed");
    return reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, `Unknown request URL: ${request.method} ${request.url}.`, { code: "unknown_url" });
    return reply.code(404).send(error.toBody());
  });
};
