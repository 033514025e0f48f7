import multipart from "@fastify/multipart";
import type { Catalog } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { ObjectStorage } from "@reelgate/object-storage";
import { type Metrics, type ReadinessCheck, registerOperations } from "@reelgate/service-kit";
import Fastify, { type FastifyBaseLogger, LogController } from "fastify";
import type { Logger } from "pino";
import type { BillingClient } from "./adapters/billing-client.ts";
import { accountService } from "./application/accounts.ts";
import { videoService } from "./application/videos.ts";
import { registerErrorHandling } from "./http/error-handler.ts";
import { adminRoutes } from "./http/routes/admin.ts";
import { videoRoutes } from "./http/routes/videos.ts";
import type { Views } from "./views/views.ts";

export interface IngressDeps {
  store: EventStore;
  views: Views;
  objects: ObjectStorage;
  billing: BillingClient;
  catalog: Catalog;
  adminToken: string;
  log: Logger;
  metrics: Metrics;
  checks: ReadinessCheck[];
  now: () => Date;
  onAppended: () => void;
  bodyLimitBytes?: number;
}

/** The public and admin HTTP API. `main.ts` listens; tests call `inject()`. */
export const buildApp = (deps: IngressDeps) => {
  const bodyLimit = deps.bodyLimitBytes ?? 32 * 1024 * 1024;
  const app = Fastify({
    loggerInstance: deps.log.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit,
    requestIdHeader: "x-request-id",
    genReqId: () => `req_${crypto.randomUUID().replaceAll("-", "")}`,
    // One access line per request (below) instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });
  registerErrorHandling(app);
  // The API takes JSON or multipart only: anything else is a 415, not a string body.
  app.removeContentTypeParser("text/plain");
  app.register(multipart, { limits: { fileSize: bodyLimit, fieldSize: 1024 * 1024, fields: 50, files: 4 } });
  registerOperations(app, { checks: deps.checks, metrics: deps.metrics });
  const videos = videoService(deps);
  videoRoutes(app, { videos, views: deps.views, objects: deps.objects });
  adminRoutes(app, { accounts: accountService(deps), adminToken: deps.adminToken });
  return app;
};
