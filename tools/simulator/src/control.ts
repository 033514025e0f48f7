import type { FastifyPluginAsync } from "fastify";
import { contentOf, digestOf, isVariant } from "./content.ts";
import type { ContextOf } from "./context.ts";
import type { FaultSettings } from "./faults.ts";
import { statsAt } from "./jobs.ts";
import { videoObjectAt } from "./video-object.ts";

const answerFault = {
  type: "object",
  additionalProperties: false,
  required: ["status"],
  properties: {
    status: { type: "integer", minimum: 100, maximum: 599 },
    count: { type: "integer", minimum: 1 },
    body: { type: "object" },
    retryAfterSeconds: { type: "number", minimum: 0 },
  },
} as const;

const faultsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    submit: answerFault,
    status: answerFault,
    hangingSubmits: { type: "integer", minimum: 0 },
    hangMs: { type: "integer", minimum: 0 },
    brokenStreams: { type: "integer", minimum: 0 },
    latencyMs: { type: "integer", minimum: 0 },
    jobDurationMs: { type: "integer", minimum: 0 },
    videoBytes: { type: "integer", minimum: 0 },
    brokenDownloads: { type: "integer", minimum: 0 },
    linkTtlMs: { type: "integer", minimum: 0 },
    mediaLinkUrl: { type: "string" },
    contentRedirectUrl: { type: "string" },
    oversizedErrors: { type: "integer", minimum: 0 },
    oversizedErrorBytes: { type: "integer", minimum: 0 },
    echoKeyErrors: { type: "integer", minimum: 0 },
  },
} as const;

/**
 * The test-facing API under `/_control` (the default channel) or `/c/{channel}/_control`: set the
 * channel's faults, read its jobs and stats, and the requests received (all channels at `/_control`).
 */
export const controlApi =
  (contextOf: ContextOf, { allRequests }: { allRequests: boolean }): FastifyPluginAsync =>
  async (app) => {
    app.get("/faults", async (request) => contextOf(request).faults.current());
    app.post<{ Body: FaultSettings }>("/faults", { schema: { body: faultsSchema } }, async (request) =>
      contextOf(request).faults.set(request.body ?? {}),
    );
    app.delete("/faults", async (request) => contextOf(request).faults.reset());

    app.get("/requests", async (request) => {
      const context = contextOf(request);
      return context.requests.list(allRequests ? undefined : context.channel);
    });
    app.delete("/requests", async (request) => ({ cleared: contextOf(request).requests.clear() }));

    app.get("/stats", async (request) => {
      const context = contextOf(request);
      return statsAt(context.jobs.list(), context.now());
    });

    app.get("/jobs", async (request) => {
      const context = contextOf(request);
      return context.jobs.list().map((job) => videoObjectAt(job, context.now()));
    });
    app.delete("/jobs", async (request) => {
      const context = contextOf(request);
      const cleared = context.jobs.list().length;
      context.jobs.clear();
      return { cleared };
    });

    app.get<{ Params: { id: string }; Querystring: { variant?: string } }>(
      "/jobs/:id/sha256",
      async (request, reply) => {
        const variant = request.query.variant ?? "video";
        if (!isVariant(variant)) return reply.code(400).send({ error: { message: `Invalid variant: '${variant}'.` } });
        const context = contextOf(request);
        const job = context.jobs.get(request.params.id);
        if (!job) return reply.code(404).send({ error: { message: `No job '${request.params.id}'.` } });
        const content = contentOf(job, variant);
        return { id: job.id, variant, contentType: content.contentType, ...(await digestOf(content)) };
      },
    );
  };
