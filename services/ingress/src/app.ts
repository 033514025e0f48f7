import multipart from "@fastify/multipart";
import type { Catalog } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { ObjectStorage } from "@reelgate/object-storage";
import { type Metrics, type ReadinessCheck, registerOperations } from "@reelgate/service-kit";
import type { Operation } from "@reelgate/upstream";
import Fastify, { type FastifyBaseLogger, LogController, type RouteOptions } from "fastify";
import type { Logger } from "pino";
import type { BillingClient } from "./adapters/billing-client.ts";
import { inputImageDefaults } from "./adapters/input-image/index.ts";
import type { UpstreamContent } from "./adapters/upstream-content.ts";
import { accountService } from "./application/accounts.ts";
import { videoService } from "./application/videos.ts";
import { apiScope } from "./http/api-scope.ts";
import { registerErrorHandling } from "./http/error-handler.ts";
import type { InputImageReader } from "./http/form.ts";
import { idempotency } from "./http/idempotency.ts";
import { registerOpenApi } from "./http/openapi.ts";
import { adminRoutes } from "./http/routes/admin.ts";
import { contentRoute } from "./http/routes/content.ts";
import { legacyRoutes, type PlayableUrl } from "./http/routes/legacy.ts";
import { mediaRoute } from "./http/routes/media.ts";
import { videoRoutes } from "./http/routes/videos.ts";
import type { Views } from "./views/views.ts";

export interface IngressDeps {
  store: EventStore;
  views: Views;
  objects: ObjectStorage;
  billing: BillingClient;
  catalog: Catalog;
  images: InputImageReader;
  /** A signed URL of a completed video that a browser can play without a key. */
  playableUrl: PlayableUrl;
  adminToken: string;
  log: Logger;
  metrics: Metrics;
  checks: ReadinessCheck[];
  now: () => Date;
  onAppended: () => void;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** `REELGATE_SIGNING_SECRET`: opens `/media/…` signed URLs of file storage (no route without it). */
  signingSecret?: string;
  /** Media that storage could not copy, proxied through its channel until the upstream link expires. */
  upstreamContent?: UpstreamContent;
  /** Whether the channels serving a model can do an operation; unset: all can. */
  supports?: (model: string, operation: Operation) => boolean;
  /** Sees every route as it is registered (tests compare them with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
}

/**
 * The largest multipart text field: `input_reference` may come as base64 (4 characters per 3 bytes) of the
 * largest image accepted, with room for line breaks every 64+ characters (1/32) and a data-URL prefix (4 KiB).
 * A longer field is refused with 413 (form.ts), never cut. The whole body stays under the body limit anyway.
 */
export const multipartFieldSize = (imageMaxBytes: number) => {
  const base64 = Math.ceil((imageMaxBytes * 4) / 3);
  return base64 + Math.ceil(base64 / 32) + 4096;
};

/** The public and admin HTTP API. `main.ts` listens; tests call `inject()`. */
export const buildApp = async (deps: IngressDeps) => {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    requestIdHeader: "x-request-id",
    genReqId: () => `req_${crypto.randomUUID().replaceAll("-", "")}`,
    // One access line per request (below) instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // zod validates in the handlers (same schemas as the docs); answers are serialised as they are.
  if (deps.onRoute) app.addHook("onRoute", deps.onRoute);
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    const videoId = (request.params as { id?: string } | undefined)?.id ?? request.videoId;
    const line = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    request.log.info(videoId ? { ...line, videoId } : line, "request");
  });
  registerErrorHandling(app);
  // The API takes JSON or multipart only: anything else is a 415, not a string body.
  app.removeContentTypeParser("text/plain");
  await app.register(multipart, {
    limits: {
      fileSize: deps.bodyLimitBytes,
      fieldSize: multipartFieldSize(deps.images.maxBytes ?? inputImageDefaults.maxBytes),
      fields: 50,
      files: 4,
    },
  });
  await registerOpenApi(app);
  registerOperations(app, { checks: deps.checks, metrics: deps.metrics });

  const videos = videoService(deps);
  const once = idempotency(deps.views.idempotency, () => deps.now().getTime());
  await app.register(
    apiScope(deps.views, { perMinute: deps.rateLimitPerMinute }, (api) => {
      videoRoutes(api, { videos, images: deps.images, idempotency: once });
      contentRoute(api, { videos, objects: deps.objects, upstreamContent: deps.upstreamContent, now: deps.now });
      legacyRoutes(api, { videos, playableUrl: deps.playableUrl });
    }),
  );
  adminRoutes(app, { accounts: accountService(deps), adminToken: deps.adminToken });
  if (deps.signingSecret) mediaRoute(app, { objects: deps.objects, secret: deps.signingSecret, now: deps.now });
  return app;
};
