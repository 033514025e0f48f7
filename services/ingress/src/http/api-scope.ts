import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { Views } from "../views/views.ts";
import { ApiError } from "./api-error.ts";
import { authenticate, presentedKey } from "./auth.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The caller's account, set by the API-key check before the body is read. */
    accountId: string;
    /** The video a create made, for the access log. */
    videoId: string | undefined;
  }
}

/**
 * The public API's scope: a rate limit per API key, then the key check — both before the body is
 * read, so an unauthenticated or throttled caller costs little and learns nothing about its payload.
 */
export const apiScope =
  (views: Views, { perMinute }: { perMinute: number }, routes: (api: FastifyInstance) => void) =>
  async (api: FastifyInstance) => {
    api.decorateRequest("accountId", "");
    api.decorateRequest("videoId", undefined);
    await api.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => presentedKey(request) ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new ApiError(
          429,
          `Rate limit reached: ${context.max} requests per minute for this API key. Retry after ${context.after}.`,
          {
            code: "rate_limit_exceeded",
            type: "requests",
            headers: { "retry-after": String(Math.ceil(context.ttl / 1000)) },
          },
        ),
    });
    api.addHook("onRequest", async (request) => {
      request.accountId = await authenticate(request, views);
    });
    routes(api);
  };
