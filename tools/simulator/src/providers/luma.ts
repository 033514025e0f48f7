import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ContextOf } from "../context.ts";
import { endEarly, type Job } from "../jobs.ts";
import {
  addJob,
  bearerOf,
  keyAccepted,
  mediaLinkOf,
  recordBody,
  sizeOfRatio,
  stateOf,
  statusFaultAnswered,
  submitFaultAnswered,
} from "./task-kit.ts";
import { videoInputOf } from "./video-inputs.ts";

/**
 * Luma Dream Machine's shape, as its API reference has it: `POST /generations` (and `/generations/video`) with
 * `{prompt, model, aspect_ratio, resolution, duration: "5s", keyframes?}` answering the Generation object,
 * `GET /generations/{id}` (`state` queued | dreaming | completed | failed, `assets.video`, `failure_reason`,
 * `request` echoed), `DELETE /generations/{id}`, `GET /generations` (a page), and `POST /generations/video/modify`
 * (`generation_type: modify_video`, `media.url`, `mode`). A keyframe `{type: "generation", id}` continues that
 * generation: the simulator's extended video is the whole, stitched one. Errors are `{detail: "…"}`.
 */

export const lumaError = (status: number) => ({
  detail:
    status === 429
      ? "Too many requests: rate limit or concurrent generation limit reached."
      : status === 401
        ? "Invalid API key."
        : status >= 500
          ? "Internal server error."
          : `The request was rejected with status ${status}.`,
});

const STATE = { queued: "queued", in_progress: "dreaming", completed: "completed", failed: "failed" } as const;
const MODES = ["adhere", "flex", "reimagine"].flatMap((mode) => [1, 2, 3].map((step) => `${mode}_${step}`));

/** Generations a DELETE removed: gone for good. */
const deleted = new WeakSet<Job>();

/** What each generation was asked, echoed in its `request` as Luma does. */
const asked = new WeakMap<Job, Record<string, unknown>>();

const secondsOf = (duration: unknown) => {
  const match = /^(\d{1,3})s$/.exec(typeof duration === "string" ? duration : "5s");
  return match ? Number(match[1]) : undefined;
};

export const lumaApi =
  (contextOf: ContextOf, { mediaBaseUrl }: { mediaBaseUrl?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      if (!keyAccepted(contextOf(request), bearerOf(request))) return reply.code(401).send(lumaError(401));
    });

    const generationOf = (request: FastifyRequest, job: Job) => {
      const context = contextOf(request);
      const { status } = stateOf(context, job);
      return {
        id: job.id,
        generation_type: "video",
        state: STATE[status],
        failure_reason:
          status !== "failed"
            ? null
            : job.filtered
              ? "400: prompt not allowed because advanced moderation failed (simulated)"
              : "The generation failed (simulated).",
        created_at: new Date(job.createdAtMs).toISOString(),
        model: job.model,
        assets: status === "completed" ? { video: mediaLinkOf(context, request, job, mediaBaseUrl) } : null,
        request: asked.get(job) ?? {},
      };
    };

    const create = async (request: FastifyRequest, reply: import("fastify").FastifyReply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (await submitFaultAnswered(context, reply, lumaError, request)) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body.prompt !== "string" || body.prompt === "")
        return reply.code(400).send({ detail: "prompt is required." });
      if (typeof body.model !== "string" || body.model === "")
        return reply.code(400).send({ detail: "model is required." });
      const own = secondsOf(body.duration);
      if (own === undefined)
        return reply.code(400).send({ detail: `duration ${JSON.stringify(body.duration)} is invalid.` });
      const frame0 = (body.keyframes as { frame0?: { type?: unknown; id?: unknown; url?: unknown } } | undefined)
        ?.frame0;
      let seconds = own;
      let size = sizeOfRatio(body.aspect_ratio ?? "16:9", body.resolution ?? "720p");
      if (frame0?.type === "generation") {
        const source = typeof frame0.id === "string" ? context.jobs.get(frame0.id) : undefined;
        if (!source || stateOf(context, source).status !== "completed")
          return reply.code(400).send({ detail: "keyframes.frame0: the generation is not a completed video." });
        // The extended video is the source continued: its length is the stitched total.
        seconds = Number(source.seconds) + own;
        size = source.size;
      } else if (frame0 && (frame0.type !== "image" || typeof frame0.url !== "string"))
        return reply.code(400).send({ detail: "keyframes.frame0 is invalid." });
      const job = addJob(context, request, { model: body.model, prompt: body.prompt, seconds: String(seconds), size });
      asked.set(job, body);
      return reply.code(201).send(generationOf(request, job));
    };
    app.post("/generations", create);
    app.post("/generations/video", create);

    app.post("/generations/video/modify", async (request, reply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (await submitFaultAnswered(context, reply, lumaError, request)) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body.generation_type !== "modify_video")
        return reply.code(400).send({ detail: "generation_type must be modify_video." });
      if (typeof body.mode !== "string" || !MODES.includes(body.mode))
        return reply.code(400).send({ detail: `mode ${JSON.stringify(body.mode)} is invalid.` });
      if (typeof body.model !== "string" || body.model === "")
        return reply.code(400).send({ detail: "model is required." });
      const source = videoInputOf(context, (body.media as { url?: unknown } | undefined)?.url);
      if (source.kind !== "job") return reply.code(400).send({ detail: "media.url could not be fetched." });
      const job = addJob(context, request, {
        model: body.model,
        prompt: typeof body.prompt === "string" ? body.prompt : "",
        seconds: source.seconds,
        size: source.size,
      });
      asked.set(job, body);
      return reply.code(201).send(generationOf(request, job));
    });

    app.get("/generations", async () => ({ generations: [], count: 0, has_more: false, limit: 1, offset: 0 }));

    app.get<{ Params: { id: string } }>("/generations/:id", async (request, reply) => {
      if (await statusFaultAnswered(contextOf(request), reply, lumaError)) return reply;
      const job = contextOf(request).jobs.get(request.params.id);
      if (!job || deleted.has(job)) return reply.code(404).send({ detail: "Generation not found." });
      return generationOf(request, job);
    });

    app.delete<{ Params: { id: string } }>("/generations/:id", async (request, reply) => {
      const context = contextOf(request);
      const job = context.jobs.get(request.params.id);
      if (!job || deleted.has(job)) return reply.code(404).send({ detail: "Generation not found." });
      endEarly(job, context.now(), "cancelled");
      deleted.add(job);
      return reply.code(204).send();
    });
  };
