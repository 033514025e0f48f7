import type { FastifyError, FastifyInstance } from "fastify";
import { ApiError } from "./api-error.ts";

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

/** Every error leaves in OpenAI's shape `{error: {message, type, param, code}}`. */
export const registerErrorHandling = (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = error instanceof ApiError ? error : fromFastify(error);
    if (apiError.status >= 500) request.log.error({ err: error }, "request failed");
    return reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, `Unknown request URL: ${request.method} ${request.url}.`, { code: "unknown_url" });
    return reply.code(404).send(error.toBody());
  });
};
