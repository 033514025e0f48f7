import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
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

/** Any error as the API answers it: ours as they are, typed refusals by kind, fastify's by code. */
export const toApiError = (error: unknown): ApiError =>
  error instanceof ApiError
    ? error
    : error instanceof DomainError
      ? fromDomain(error)
      : fromFastify(error as FastifyError);

/** Every error leaves in OpenAI's shape `{error: {message, type, param, code}}`. */
export const registerErrorHandling = (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, "request failed");
    return reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, `Unknown request URL: ${request.method} ${request.url}.`, { code: "unknown_url" });
    return reply.code(404).send(error.toBody());
  });
};
