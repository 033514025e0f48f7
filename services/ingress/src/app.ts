import multipart from "@fastify/multipart";
import type { Catalog } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { ObjectStorage } from "@reelgate/object-storage";
import { type Metrics, registerHttpMetrics } from "@reelgate/service-kit";
import type { Operation } from "@reelgate/upstream";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController, type RouteOptions } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { BillingClient } from "./adapters/billing-client.ts";
import type { DeadLetters } from "./adapters/dead-letters.ts";
import { type InputImageReader, inputImageDefaults } from "./adapters/input-image/index.ts";
import type { NotifierClient } from "./adapters/notifier-client.ts";
import type { UpstreamContent } from "./adapters/upstream-content.ts";
import { accountService } from "./application/accounts.ts";
import { type CharacterMaker, characterService } from "./application/characters.ts";
import { videoService } from "./application/videos.ts";
import { apiScope } from "./http/api-scope.ts";
import { adminGuard } from "./http/auth.ts";
import { compiledAnswers } from "./http/compiled-answer.ts";
import { frameworkErrors, registerErrorHandling, registerJsonParser } from "./http/error-handler.ts";
import { idempotency } from "./http/idempotency.ts";
import { registerOpenApi } from "./http/openapi.ts";
import { requestIdOf } from "./http/request-id.ts";
import { lazyRequestLogger } from "./http/request-logger.ts";
import { answerOrigin, errorAnswer } from "./http/route-spec.ts";
import { accountRoutes } from "./http/routes/account.ts";
import { adminRoutes } from "./http/routes/admin.ts";
import { adminDeadLetterRoutes } from "./http/routes/admin-dead-letters.ts";
import { adminListRoutes } from "./http/routes/admin-lists.ts";
import { consoleRoute, type MediaOriginConfig } from "./http/routes/console.ts";
import { contentRoute } from "./http/routes/content.ts";
import { legacyRoutes, type PlayableUrl } from "./http/routes/legacy.ts";
import { mediaRoute } from "./http/routes/media.ts";
import { modelRoutes } from "./http/routes/models.ts";
import { videoOperationRoutes } from "./http/routes/video-operations.ts";
import { videoFormRoutes, videoRoutes } from "./http/routes/videos.ts";
import { webhookAdminRoutes, webhookEndpointRoutes } from "./http/routes/webhook-endpoints.ts";
import { type RateLimits, rateLimitDefaults, registerThrottles } from "./http/throttle.ts";
import type { ConfiguredChannel } from "./views/channel-status.ts";
import type { Views } from "./views/views.ts";

export interface IngressDeps {
  store: EventStore;
  views: Views;
  objects: ObjectStorage;
  billing: BillingClient;
  /** Webhook endpoints (SPEC §1.5) live in the notifier; without it the routes are not there. */
  notifier?: NotifierClient;
  /** Every service's dead letters (the admin API lists and replays them); without it the routes are not there. */
  deadLetters?: DeadLetters;
  catalog: Catalog;
  images: InputImageReader;
  /** A signed URL of a completed video that a browser can play without a key. */
  playableUrl: PlayableUrl;
  adminToken: string;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
  onAppended: () => void;
  bodyLimitBytes: number;
  /** Requests per minute per valid API key. */
  rateLimitPerMinute: number;
  /** The other rate limits (failed authentication, admin, media) and the replica count; defaults otherwise. */
  rateLimits?: Partial<Omit<RateLimits, "perKeyPerMinute">>;
  /** fastify's `trustProxy`: whose `X-Forwarded-For` names the client address the limits count by. */
  trustProxy?: boolean | string[];
  /** `REELGATE_SIGNING_SECRET`: opens `/media/…` signed URLs of file storage (no route without it). */
  signingSecret?: string;
  /** Media that storage could not copy, proxied through its channel until the upstream link expires. */
  upstreamContent?: UpstreamContent;
  /** Whether the channels serving a model can do an operation; unset: all can. */
  supports?: (model: string, operation: Operation) => boolean;
  /** Whether the channel that made a video can do an operation on it (edits and extensions are pinned there). */
  channelSupports?: (channelId: string, operation: Operation) => boolean | undefined;
  /** Makes characters upstream (SPEC §1.1); without it `POST /v1/videos/characters` answers 400 `unsupported_operation`. */
  characterMaker?: CharacterMaker;
  /** Sees every route as it is registered (tests compare them with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
  /** The channels in force now, for the admin channel list (none given: the list shows only channels seen in events). */
  channels?: () => ConfiguredChannel[];
  /** `REELGATE_JOB_DEADLINE_SECONDS` in ms: how far back a job may still be in flight. */
  jobDeadlineMs?: number;
  /** Serves the web console at `/console` (web/console/dist), allowing media from where signed URLs point. */
  console?: { media: MediaOriginConfig; distDir?: string };
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

const MULTIPART = "multipart/form-data";

/** The public and admin HTTP API. `main.ts` listens; tests call `inject()`. */
export const buildApp = async (deps: IngressDeps) => {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestIdOf,
    childLoggerFactory: lazyRequestLogger,
    frameworkErrors,
    trustProxy: deps.trustProxy ?? false,
    // One access line per request (below) instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  });
  if (deps.onRoute) app.addHook("onRoute", deps.onRoute);
  // The routes' zod schemas validate requests (handlers get the parsed input) and serialise answers; the
  // error handler maps a refusal to OpenAI's words. Error bodies are OpenAI's shape by construction: not re-checked.
  app.setValidatorCompiler(validatorCompiler);
  // The Video answers have compiled serializers of their own (http/compiled-answer.ts).
  app.setSerializerCompiler((route) => {
    if (route.schema === errorAnswer) return (data) => JSON.stringify(data);
    const origin = answerOrigin(route.schema);
    return (
      (origin && compiledAnswers.get(origin)) ?? serializerCompiler(route as Parameters<typeof serializerCompiler>[0])
    );
  });
  app.decorateRequest("form", undefined);
  // Hooks with nothing to wait for take fastify's callback form: an async one costs a promise and a turn
  // of the microtask queue on every request.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    // The line is built only when it is written (pino's loggers and request-logger.ts's tell).
    if ((request.log as Partial<Pick<Logger, "isLevelEnabled">>).isLevelEnabled?.("info") !== false) {
      const videoId = (request.params as { id?: string } | undefined)?.id ?? request.videoId;
      const line = {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      };
      request.log.info(videoId ? { ...line, videoId } : line, "request");
    }
    done();
  });
  registerErrorHandling(app);
  // The API takes JSON or multipart only: anything else is a 415, not a string body.
  app.removeContentTypeParser("text/plain");
  registerJsonParser(app);
  // A multipart body is read only by the routes that take forms (below, where @fastify/multipart is registered,
  // so its two hooks run on those routes alone). Elsewhere it is accepted and left unread, as the plugin's own
  // parser does: a JSON route then answers as for a missing body, a GET ignores it.
  app.addContentTypeParser(MULTIPART, (_request, _payload, done) => done(null));
  const forms = async (scope: FastifyInstance) => {
    scope.removeContentTypeParser(MULTIPART);
    await scope.register(multipart, {
      limits: {
        fileSize: deps.bodyLimitBytes,
        fieldSize: multipartFieldSize(deps.images.maxBytes ?? inputImageDefaults.maxBytes),
        fields: 50,
        files: 4,
      },
    });
  };
  await registerOpenApi(app);
  // /healthz, /readyz and /metrics are on the operations port (main.ts), never on the public one.
  registerHttpMetrics(app, deps.metrics);

  const throttles = await registerThrottles(app, {
    ...rateLimitDefaults,
    ...deps.rateLimits,
    perKeyPerMinute: deps.rateLimitPerMinute,
  });
  const videos = videoService(deps);
  const accounts = accountService(deps);
  const characters = characterService({ ...deps, maker: deps.characterMaker });
  const once = idempotency(deps.views.idempotency, () => deps.now().getTime());
  await app.register(
    apiScope(deps.views, throttles, async (api) => {
      // The routes that take forms, in a scope of their own (multipart above); the others after them, in order.
      await api.register(async (withForms) => {
        await forms(withForms);
        // The fixed paths (edits, extensions, characters) first, so no reader mistakes them for `/v1/videos/:id`.
        videoOperationRoutes(withForms, { videos, characters, idempotency: once, now: deps.now });
        videoFormRoutes(withForms, { videos, images: deps.images, idempotency: once, now: deps.now });
      });
      videoRoutes(api, { videos, now: deps.now });
      contentRoute(api, { videos, objects: deps.objects, upstreamContent: deps.upstreamContent, now: deps.now });
      legacyRoutes(api, { videos, playableUrl: deps.playableUrl });
      if (deps.notifier) webhookEndpointRoutes(api, { notifier: deps.notifier });
      modelRoutes(api, { catalog: deps.catalog, created: Math.floor(deps.now().getTime() / 1000) });
      accountRoutes(api, { accounts });
    }),
  );
  const guard = adminGuard(deps.adminToken, throttles);
  adminRoutes(app, { accounts, guard });
  adminListRoutes(app, {
    views: deps.views,
    guard,
    channels: deps.channels ?? (() => []),
    jobDeadlineMs: deps.jobDeadlineMs ?? 7_200_000,
    now: deps.now,
  });
  if (deps.notifier) webhookAdminRoutes(app, { notifier: deps.notifier, guard });
  if (deps.deadLetters) adminDeadLetterRoutes(app, { deadLetters: deps.deadLetters, guard });
  if (deps.console) await consoleRoute(app, deps.console);
  if (deps.signingSecret)
    mediaRoute(app, { objects: deps.objects, secret: deps.signingSecret, now: deps.now, throttles });
  return app;
};
