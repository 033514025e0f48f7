import type { FastifyPluginAsync } from "fastify";
import { contentOf, digestOf, isVariant } from "./content.ts";
import type { SimulatorContext } from "./context.ts";
import type { FaultSettings } from "./faults.ts";
import { statsAt } from "./jobs.ts";
import { videoObjectAt } from "./video-object.ts";

const faultsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    submit: {
      type: "object",
      additionalProperties: false,
      required: ["status"],
      properties: {
        status: { type: "integer", minimum: 100, maximum: 599 },
        count: { type: "integer", minimum: 1 },
        body: { type: "object" },
        retryAfterSeconds: { type: "number", minimum: 0 },
      },
    },
    latencyMs: { type: "integer", minimum: 0 },
    jobDurationMs: { type: "integer", minimum: 0 },
    videoBytes: { type: "integer", minimum: 0 },
    brokenDownloads: { type: "integer", minimum: 0 },
  },
} as const;

/** The test-facing API under `/_control`: set faults, read what was received and what was served. */
export const controlApi =
  (context: SimulatorContext): FastifyPluginAsync =>
  async (app) => {
    app.get("/faults", async () => context.faults.current());
    app.post<{ Body: FaultSettings }>("/faults", { schema: { body: faultsSchema } }, async (request) =>
      context.faults.set(request.body ?? {}),
    );
    app.delete("/faults", async () => context.faults.reset());

    app.get("/requests", async () => context.requests.list());
    app.delete("/requests", async () => ({ cleared: context.requests.clear() }));

    app.get("/stats", async () => statsAt(context.jobs.list(), context.now()));

    app.get("/jobs", async () => context.jobs.list().map((job) => videoObjectAt(job, context.now())));
    app.delete("/jobs", async () => {
      const cleared = context.jobs.list().length;
      context.jobs.clear();
      return { cleared };
    });

    app.get<{ Params: { id: string }; Querystring: { variant?: string } }>(
      "/jobs/:id/sha256",
      async (request, reply) => {
        const variant = request.query.variant ?? "video";
        if (!isVariant(variant)) return reply.code(400).send({ error: { message: `Invalid variant: '${variant}'.` } });
        const job = context.jobs.get(request.params.id);
        if (!job) return reply.code(404).send({ error: { message: `No job '${request.params.id}'.` } });
        const content = contentOf(job, variant);
        return { id: job.id, variant, contentType: content.contentType, ...(await digestOf(content)) };
      },
    );
  };
