import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import multipart from "@fastify/multipart";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { SimulatorContext } from "./context.ts";
import { controlApi } from "./control.ts";
import { errorBodyForStatus, openAiError } from "./errors.ts";
import { createFaults } from "./faults.ts";
import { createJobStore } from "./job-store.ts";
import { openAiProvider } from "./providers/openai.ts";
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
  logger?: FastifyServerOptions["logger"];
}

const CONTROL_PREFIX = "/_control";

const newSimulatorJobId = () => `sim_${randomBytes(12).toString("hex")}`;

/** The upstream simulator: the OpenAI shape under `/v1`, the control API under `/_control`. Call `listen` yourself. */
export const buildSimulator = async (options: SimulatorOptions = {}): Promise<FastifyInstance> => {
  const now = options.now ?? Date.now;
  const context: SimulatorContext = {
    jobs: createJobStore(),
    faults: createFaults({ jobDurationMs: options.jobDurationMs ?? 3000, videoBytes: options.videoBytes }),
    requests: createRequestLog(),
    now,
    apiKeys: options.apiKeys,
    newJobId: newSimulatorJobId,
  };
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 10 * 1024 * 1024 });
  await app.register(multipart, { limits: { fileSize: options.maxUploadBytes ?? 64 * 1024 * 1024, fields: 50 } });

  const isUpstreamCall = (url: string) => !url.startsWith(CONTROL_PREFIX);
  app.addHook("onRequest", async (request) => {
    if (isUpstreamCall(request.url)) context.requests.begin(request, now());
  });
  app.addHook("preHandler", async (request) => {
    const latencyMs = context.faults.latencyMs();
    if (latencyMs > 0 && isUpstreamCall(request.url)) await sleep(latencyMs);
  });
  app.addHook("onSend", async (request, reply) => {
    const entry = context.requests.of(request);
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

  await app.register(openAiProvider(context), { prefix: "/v1" });
  await app.register(controlApi(context), { prefix: CONTROL_PREFIX });
  return app;
};
