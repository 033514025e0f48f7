import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { brokenHalfway, contentOf, isVariant } from "../content.ts";
import type { ContextOf, SimulatorContext } from "../context.ts";
import { errorBodyForStatus, openAiError } from "../errors.ts";
import { endEarly, statusAt } from "../jobs.ts";
import { newJob, validationErrorOf } from "../new-job.ts";
import { readSubmission } from "../submission.ts";
import { videoObjectAt } from "../video-object.ts";
import { videoSourceRoutes } from "./video-sources.ts";

type WithId = { Params: { id: string } };

const notFound = (id: string) => openAiError(`Video with id '${id}' not found.`, { code: "video_not_found" });

/** `Authorization: Bearer <key>`, any non-empty key unless the simulator was given a list. */
const bearerKeyOf = (request: FastifyRequest) => /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];

const azureKeyOf = (request: FastifyRequest) => {
  const key = request.headers["api-key"];
  return typeof key === "string" && key.trim() !== "" ? key.trim() : undefined;
};

const idempotencyKeyOf = (request: FastifyRequest) => {
  const key = request.headers["idempotency-key"];
  return typeof key === "string" && key.trim() !== "" ? key.trim() : undefined;
};

/** Answers with a fault's status, body and Retry-After. */
export const sendFault = (
  reply: FastifyReply,
  fault: { status: number; body?: Record<string, unknown>; retryAfterSeconds?: number },
  bodyFor: (status: number) => unknown = errorBodyForStatus,
) => {
  if (fault.retryAfterSeconds !== undefined) reply.header("retry-after", String(fault.retryAfterSeconds));
  return reply.code(fault.status).send(fault.body ?? bodyFor(fault.status));
};

/** A careless upstream's 401: the key the caller presented, repeated in the message. */
export const sendEchoedKey = (request: FastifyRequest, reply: FastifyReply) => {
  const key = bearerKeyOf(request) ?? azureKeyOf(request) ?? "";
  return reply.code(401).send(
    openAiError(`Incorrect API key provided: ${key}. You can find your API key in your account settings.`, {
      code: "invalid_api_key",
    }),
  );
};

/** Checks the caller's key as the shape expects it: Bearer for OpenAI, `api-key` for Azure (any key unless a list was given). */
export const requireKey =
  (contextOf: ContextOf, keyOf: (request: FastifyRequest) => string | undefined, how: string) =>
  async (request: FastifyRequest, reply: FastifyReply) => {
    const key = keyOf(request);
    if (!key)
      return reply
        .code(401)
        .send(openAiError(`You didn't provide an API key. Use '${how}'.`, { code: "missing_api_key" }));
    const { apiKeys } = contextOf(request);
    if (apiKeys && !apiKeys.includes(key))
      return reply.code(401).send(openAiError("Incorrect API key provided.", { code: "invalid_api_key" }));
  };

/**
 * The OpenAI Videos API shape, registered under a prefix such as `/v1` or `/c/{channel}/v1`. With
 * `azure`, the same API as Azure OpenAI serves it under `/openai/v1`: an `api-key` header and an
 * `api-version` query parameter, which it requires.
 */
export const videosApi =
  (contextOf: ContextOf, { azure = false }: { azure?: boolean } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook(
      "onRequest",
      azure
        ? requireKey(contextOf, azureKeyOf, "api-key: KEY")
        : requireKey(contextOf, bearerKeyOf, "Authorization: Bearer KEY"),
    );
    if (azure)
      app.addHook("onRequest", async (request, reply) => {
        if (!(request.query as Record<string, unknown>)["api-version"])
          return reply.code(400).send(
            openAiError("Missing required query parameter: 'api-version'.", {
              param: "api-version",
              code: "missing_api_version",
            }),
          );
      });

    /** Applies a pending submit fault, else validates and creates the job. */
    const submit = async (
      context: SimulatorContext,
      request: FastifyRequest,
      reply: FastifyReply,
      fields: Record<string, unknown>,
      remixedFrom: string | null,
    ) => {
      const hangMs = context.faults.takeHang();
      if (hangMs > 0) await sleep(hangMs);
      const fault = context.faults.takeSubmitFault();
      if (fault) return sendFault(reply, fault);
      if (context.faults.takeEchoKey()) return sendEchoedKey(request, reply);
      const invalid = validationErrorOf(fields);
      if (invalid) return reply.code(400).send(invalid);
      const entry = context.requests.of(request);
      // A create repeated with its Idempotency-Key answers with the job the first one made, not a new one.
      const key = idempotencyKeyOf(request);
      const fingerprint = JSON.stringify([request.url, remixedFrom, fields]);
      const earlier = key === undefined ? undefined : context.jobs.byKey(key);
      if (earlier) {
        const job = context.jobs.get(earlier.jobId);
        if (earlier.fingerprint !== fingerprint || !job)
          return reply.code(409).send(
            openAiError("This Idempotency-Key was already used with a different request.", {
              param: "Idempotency-Key",
              code: "idempotency_key_reused",
            }),
          );
        if (entry) entry.responseId = job.id;
        return reply.code(200).header("idempotent-replayed", "true").send(videoObjectAt(job, context.now()));
      }
      const job = context.jobs.add(newJob(context, fields, remixedFrom));
      if (key !== undefined) context.jobs.rememberKey(key, job.id, fingerprint);
      if (entry) entry.responseId = job.id;
      return reply.code(200).send(videoObjectAt(job, context.now()));
    };

    const readRecorded = async (
      context: SimulatorContext,
      request: FastifyRequest,
      options: { keep?: readonly string[] } = {},
    ) => {
      const submission = await readSubmission(request, options);
      const entry = context.requests.of(request);
      if (entry) {
        entry.fields = submission.fieldNames;
        entry.files = submission.files;
      }
      return submission;
    };

    app.post("/videos", async (request, reply) => {
      const context = contextOf(request);
      const { fields } = await readRecorded(context, request);
      return submit(context, request, reply, fields, null);
    });

    videoSourceRoutes(app, { contextOf, submit, readRecorded });

    app.post<WithId>("/videos/:id/remix", async (request, reply) => {
      const context = contextOf(request);
      const { fields } = await readRecorded(context, request);
      const source = context.jobs.get(request.params.id);
      if (!source) return reply.code(404).send(notFound(request.params.id));
      if (statusAt(source, context.now()).status !== "completed") {
        return reply
          .code(400)
          .send(openAiError("Only a completed video can be remixed.", { param: "video_id", code: "invalid_value" }));
      }
      const { model, seconds, size } = source;
      return submit(context, request, reply, { model, seconds, size, prompt: fields.prompt }, source.id);
    });

    app.get<WithId>("/videos/:id", async (request, reply) => {
      const context = contextOf(request);
      const fault = context.faults.takeStatusFault();
      if (fault) return sendFault(reply, fault);
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(notFound(request.params.id));
      return videoObjectAt(job, context.now());
    });

    // Deleting a job that is still running cancels it.
    app.delete<WithId>("/videos/:id", async (request, reply) => {
      const context = contextOf(request);
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(notFound(request.params.id));
      endEarly(job, context.now(), "cancelled");
      return { id: job.id, object: "video.deleted", deleted: true };
    });

    app.get<WithId & { Querystring: { variant?: string } }>("/videos/:id/content", async (request, reply) => {
      const context = contextOf(request);
      const variant = request.query.variant ?? "video";
      if (!isVariant(variant)) {
        return reply
          .code(400)
          .send(openAiError(`Invalid variant: '${variant}'.`, { param: "variant", code: "invalid_value" }));
      }
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(notFound(request.params.id));
      const { status } = statusAt(job, context.now());
      if (status !== "completed") {
        return reply
          .code(404)
          .send(
            openAiError(`Video '${job.id}' is ${status}; its content is not available.`, { code: "video_not_ready" }),
          );
      }
      const redirect = context.faults.contentRedirectUrl();
      if (redirect) return reply.code(302).header("location", redirect).send();
      const content = contentOf(job, variant);
      reply.type(content.contentType);
      if (variant === "video" && job.videoBytes !== undefined) reply.header("content-length", String(job.videoBytes));
      if (variant === "video" && context.faults.takeBrokenDownload()) {
        const body = content.body();
        const bytes = Buffer.isBuffer(body) ? body.length : (job.videoBytes ?? 0);
        reply.header("content-length", String(bytes));
        return reply.send(brokenHalfway(body, bytes));
      }
      return reply.send(content.body());
    });
  };
