import type { FastifyInstance } from "fastify";
import type { Views } from "../views/views.ts";
import { authenticate } from "./auth.ts";
import type { Throttles } from "./throttle.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The caller's account, set by the API-key check before the body is read. */
    accountId: string;
    /** The id of the API key the caller presented, once it checked out (its rate-limit bucket). */
    apiKeyId: string;
    /** The video a create made, for the access log. */
    videoId: string | undefined;
  }
}

/**
 * The public API's scope: the key check, then the key's rate limit — both before the body is read, so an
 * unauthenticated or throttled caller costs little and learns nothing about its payload. Failed checks count
 * against the client's address, so guessing keys is throttled however many keys are tried.
 */
export const apiScope =
  (views: Views, throttles: Throttles, routes: (api: FastifyInstance) => void | Promise<void>) =>
  async (api: FastifyInstance) => {
    api.decorateRequest("accountId", "");
    api.decorateRequest("apiKeyId", "");
    api.decorateRequest("videoId", undefined);
    api.addHook("onRequest", async (request) => {
      const caller = await authenticate(request, views, () => throttles.authFailure(request));
      request.accountId = caller.accountId;
      request.apiKeyId = caller.keyId;
      await throttles.apiKey(request);
    });
    await routes(api);
  };
