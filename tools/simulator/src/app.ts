import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import multipart from "@fastify/multipart";
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { createChannels } from "./channels.ts";
import { type ContextOf, channelOfUrl, DEFAULT_CHANNEL, type SimulatorContext } from "./context.ts";
import { controlApi } from "./control.ts";
import { errorBodyForStatus, openAiError } from "./errors.ts";
import { createFaults } from "./faults.ts";
import { createJobStore } from "./job-store.ts";
import { arkApi } from "./providers/ark.ts";
import { chatProvider } from "./providers/chat.ts";
import { dashscopeApi } from "./providers/dashscope.ts";
import { mediaLinks } from "./providers/files.ts";
import { createOAuthTokens, geminiApi, oauthTokenEndpoint, vertexApi } from "./providers/google.ts";
import { defaultKlingSecret, klingApi } from "./providers/kling.ts";
import { lumaApi } from "./providers/luma.ts";
import { minimaxApi } from "./providers/minimax.ts";
import { runwayApi } from "./providers/runway.ts";
import { expiringMedia } from "./providers/task-kit.ts";
import { videosApi } from "./providers/videos-api.ts";
import { createRequestLog } from "./request-log.ts";

export interface SimulatorOptions {
  /** How long a job takes from submission to its end; default 3000. */
  jobDurationMs?: number;
  /** Accepted API keys; by default any non-empty key is accepted. */
  apiKeys?: readonly string[];
  /** The clock, in epoch milliseconds; tests pass a fake one. Default Date.now. */
  now?: () => number;
  /** Total size of every video served (a padded, streamed MP4); default a small MP4 of about 1 KB. */
  videoBytes?: number;
  /** Largest accepted upload part; default 64 MiB. */
  maxUploadBytes?: number;
  /** Kling: the secret key of an access key (default `secret-{access key}`). */
  klingSecrets?: Record<string, string>;
  /** Vertex's token endpoint: service-account email → public key (PEM); given, assertions are verified. */
  serviceAccounts?: Record<string, string>;
  /** Where the task shapes' media links point; default the other loopback name of the host asked (a second host). */
  mediaBaseUrl?: string;
  logger?: FastifyServerOptions["logger"];
}

const newSimulatorJobId = () => `sim_${randomBytes(12).toString("hex")}`;

const isControlCall = (url: string) => /^(\/c\/[^/]+)?\/_control(\/|$|\?)/.test(url);

/**
 * The upstream simulator. Every channel speaks every provider shape: the OpenAI videos API
 * under `/v1`, Azure's under `/openai/v1`, chat-completions streams at `/v1/chat/completions`, Veo's Gemini
 * API under `/v1beta` and Vertex AI's under `/vertex/v1` (tokens from `/oauth2/token`), Kling under
 * `/kling`, DashScope under `/dashscope/api/v1`, Ark under `/ark/api/v3`, Runway under `/runway`, Luma under
 * `/luma/dream-machine/v1`, MiniMax under `/minimax/v1`, their media at `/media`; the unprefixed routes are the default channel, `/c/{channel}/…` a channel of its own (jobs, faults,
 * stats). The control API is `/_control` (and `/c/{channel}/_control`). Call `listen` yourself.
 */
export const buildSimulator = async (options: SimulatorOptions = {}): Promise<FastifyInstance> => {
  const now = options.now ?? Date.now;
  const requests = createRequestLog();
  const channels = createChannels(
    (channel): SimulatorContext => ({
      channel,
      jobs: createJobStore(),
      faults: createFaults({ jobDurationMs: options.jobDurationMs ?? 3000, videoBytes: options.videoBytes }),
      requests,
      now,
      apiKeys: options.apiKeys,
      newJobId: newSimulatorJobId,
      characters: new Map(),
    }),
  );
  const contextOf: ContextOf = (request) =>
    channels.get((request.params as { channel?: string } | undefined)?.channel ?? DEFAULT_CHANNEL);
  const linkBase = (request: FastifyRequest) => {
    const channel = (request.params as { channel?: string } | undefined)?.channel;
    return `${request.protocol}://${request.headers.host}${channel ? `/c/${channel}` : ""}`;
  };

  // Hanging requests (timeout faults) must not hold `close` up.
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 10 * 1024 * 1024, forceCloseConnections: true });
  await app.register(multipart, { limits: { fileSize: options.maxUploadBytes ?? 64 * 1024 * 1024, fields: 50 } });

  app.addHook("onRequest", async (request) => {
    if (!isControlCall(request.url)) requests.begin(request, now(), channelOfUrl(request.url));
  });
  app.addHook("preHandler", async (request) => {
    if (isControlCall(request.url)) return;
    const latencyMs = channels.get(channelOfUrl(request.url)).faults.latencyMs();
    if (latencyMs > 0) await sleep(latencyMs);
  });
  app.addHook("onSend", async (request, reply) => {
    const entry = requests.of(request);
    if (entry) entry.status = reply.statusCode;
  });
  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const body = status >= 500 ? errorBodyForStatus(status) : openAiError(error.message, { code: error.code ?? null });
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(openAiError(`Unknown request URL: ${request.method} ${request.url}.`, { code: "unknown_url" })),
  );

  const oauthTokens = createOAuthTokens(now);
  const media = options.mediaBaseUrl === undefined ? {} : { mediaBaseUrl: options.mediaBaseUrl };
  const klingSecrets = options.klingSecrets;
  const secretOf = (accessKey: string) => (klingSecrets ? klingSecrets[accessKey] : defaultKlingSecret(accessKey));
  await app.register(oauthTokenEndpoint(oauthTokens, options.serviceAccounts));
  for (const root of ["", "/c/:channel"]) {
    await app.register(geminiApi(contextOf, media), { prefix: `${root}/v1beta` });
    await app.register(vertexApi(contextOf, oauthTokens), { prefix: `${root}/vertex/v1` });
    await app.register(klingApi(contextOf, { secretOf, ...media }), { prefix: `${root}/kling` });
    await app.register(dashscopeApi(contextOf, media), { prefix: `${root}/dashscope/api/v1` });
    await app.register(arkApi(contextOf, media), { prefix: `${root}/ark/api/v3` });
    await app.register(runwayApi(contextOf, media), { prefix: `${root}/runway` });
    await app.register(lumaApi(contextOf, media), { prefix: `${root}/luma/dream-machine/v1` });
    await app.register(minimaxApi(contextOf, media), { prefix: `${root}/minimax/v1` });
    await app.register(expiringMedia(contextOf), { prefix: root });
    await app.register(videosApi(contextOf), { prefix: `${root}/v1` });
    await app.register(chatProvider(contextOf, linkBase), { prefix: `${root}/v1` });
    await app.register(videosApi(contextOf, { azure: true }), { prefix: `${root}/openai/v1` });
    await app.register(mediaLinks(contextOf), { prefix: root });
    await app.register(controlApi(contextOf, { allRequests: root === "" }), { prefix: `${root}/_control` });
  }
  return app;
};
