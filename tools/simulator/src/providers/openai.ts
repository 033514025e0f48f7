import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { brokenHalfway, contentOf, isVariant } from "../content.ts";
import type { SimulatorContext } from "../context.ts";
import { errorBodyForStatus, openAiError } from "../errors.ts";
import { statusAt } from "../jobs.ts";
import { newJob, validationErrorOf } from "../new-job.ts";
import { readSubmission } from "../submission.ts";
import { videoObjectAt } from "../video-object.ts";

type WithId = { Params: { id: string } };

const notFound = (id: string) => openAiError(`Video with id '${id}' not found.`, { code: "video_not_found" });

/** `Authorization: Bearer <key>`, any non-empty key unless the simulator was given a list. */
const bearerKeyOf = (request: FastifyRequest) => /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];

/** The OpenAI Videos API shape (also what third-party relays speak), registered under a prefix such as `/v1`. */
export const openAiProvider =
  (context: SimulatorContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      const key = bearerKeyOf(request);
      if (!key) {
        return reply
          .code(401)
          .send(
            openAiError("You didn't provide an API key. Use 'Authorization: Bearer KEY'.", { code: "missing_api_key" }),
          );
      }
      if (context.apiKeys && !context.apiKeys.includes(key)) {
        return reply.code(401).send(openAiError("Incorrect API key provided.", { code: "invalid_api_key" }));
      }
    });

    /** Applies a pending submit fault, else validates and creates the job. */
    const submit = async (
      request: FastifyRequest,
      reply: FastifyReply,
      fields: Record<string, unknown>,
      remixedFrom: string | null,
    ) => {
      const fault = context.faults.takeSubmitFault();
      if (fault) {
        if (fault.retryAfterSeconds !== undefined) reply.header("retry-after", String(fault.retryAfterSeconds));
        return reply.code(fault.status).send(fault.body ?? errorBodyForStatus(fault.status));
      }
      const invalid = validationErrorOf(fields);
      if (invalid) return reply.code(400).send(invalid);
      const job = context.jobs.add(newJob(context, fields, remixedFrom));
      const entry = context.requests.of(request);
      if (entry) entry.responseId = job.id;
      return reply.code(200).send(videoObjectAt(job, context.now()));
    };

    const readRecorded = async (request: FastifyRequest) => {
      const submission = await readSubmission(request);
      const entry = context.requests.of(request);
      if (entry) {
        entry.fields = submission.fieldNames;
        entry.files = submission.files;
      }
      return submission;
    };

    app.post("/videos", async (request, reply) => {
      const { fields } = await readRecorded(request);
      return submit(request, reply, fields, null);
    });

    app.post<WithId>("/videos/:id/remix", async (request, reply) => {
      const { fields } = await readRecorded(request);
      const source = context.jobs.get(request.params.id);
      if (!source) return reply.code(404).send(notFound(request.params.id));
      if (statusAt(source, context.now()).status !== "completed") {
        return reply
          .code(400)
          .send(openAiError("Only a completed video can be remixed.", { param: "video_id", code: "invalid_value" }));
      }
      const { model, seconds, size } = source;
      return submit(request, reply, { model, seconds, size, prompt: fields.prompt }, source.id);
    });

    app.get<WithId>("/videos/:id", async (request, reply) => {
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(notFound(request.params.id));
      return videoObjectAt(job, context.now());
    });

    app.get<WithId & { Querystring: { variant?: string } }>("/videos/:id/content", async (request, reply) => {
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
