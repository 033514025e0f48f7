import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ContextOf } from "../context.ts";
import { endEarly } from "../jobs.ts";
import {
  addJob,
  bearerOf,
  keyAccepted,
  mediaLinkOf,
  recordBody,
  stateOf,
  statusFaultAnswered,
  submitFaultAnswered,
} from "./task-kit.ts";
import { videoInputOf } from "./video-inputs.ts";

/**
 * Runway's shape, as its API reference has it: `POST /v1/text_to_video | image_to_video | video_to_video` answering
 * `{id}`, `GET /v1/tasks/{id}` (`PENDING | THROTTLED | RUNNING | SUCCEEDED | FAILED | CANCELLED`, `progress` 0..1 while
 * running, `output[]` links, `failure` and `failureCode` on failure; `[throttled]` in a prompt keeps the queued task
 * THROTTLED), `DELETE /v1/tasks/{id}` cancelling, and
 * `GET /v1/organization`. Every request needs `Authorization: Bearer` and `X-Runway-Version: 2024-11-06`; errors are
 * `{error: "…"}`. Moderation fails the task with `SAFETY.INPUT.TEXT`, never an HTTP error.
 */

const VERSION = "2024-11-06";

export const runwayError = (status: number) => ({
  error:
    status === 429
      ? "You have exceeded the rate limit for this integration."
      : status === 401
        ? "The provided API key is not valid."
        : status >= 500
          ? "Runway is shedding load; please retry."
          : `The request was rejected with status ${status}.`,
});

/** Tasks a DELETE removed: Runway says they can never be fetched again. */
const deleted = new WeakSet<object>();

const STATUS = { queued: "PENDING", in_progress: "RUNNING", completed: "SUCCEEDED", failed: "FAILED" } as const;

/** `[throttled]` in a prompt: the task waits THROTTLED (the organisation's concurrency is full) while it is queued. */
export const THROTTLE_MARKER = "[throttled]";

/** `1280:720` → `1280x720`; anything else is not a Runway ratio. */
const sizeOfRatio = (ratio: unknown) => {
  const match = /^(\d{2,5}):(\d{2,5})$/.exec(typeof ratio === "string" ? ratio : "");
  return match ? `${match[1]}x${match[2]}` : undefined;
};

export const runwayApi =
  (contextOf: ContextOf, { mediaBaseUrl }: { mediaBaseUrl?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      if (!keyAccepted(contextOf(request), bearerOf(request))) return reply.code(401).send(runwayError(401));
      if (request.headers["x-runway-version"] !== VERSION)
        return reply.code(400).send({ error: `X-Runway-Version must be set to ${VERSION}.` });
    });

    const taskOf = (request: FastifyRequest, id: string) => {
      const context = contextOf(request);
      const job = context.jobs.get(id);
      if (!job || deleted.has(job)) return undefined;
      const { status, progress } = stateOf(context, job);
      const cancelled = job.endedEarly === "cancelled";
      return {
        id: job.id,
        status: cancelled
          ? "CANCELLED"
          : status === "queued" && job.prompt.includes(THROTTLE_MARKER)
            ? "THROTTLED"
            : STATUS[status],
        createdAt: new Date(job.createdAtMs).toISOString(),
        ...(status === "in_progress" ? { progress: progress / 100 } : {}),
        ...(status === "completed" ? { output: [mediaLinkOf(context, request, job, mediaBaseUrl)] } : {}),
        ...(status === "failed" && !cancelled
          ? job.filtered
            ? {
                failure: "The prompt was rejected by content moderation. (simulated)",
                failureCode: "SAFETY.INPUT.TEXT",
              }
            : { failure: "The generation failed. (simulated)", failureCode: "INTERNAL.BAD_OUTPUT.CODE01" }
          : {}),
      };
    };

    for (const kind of ["text_to_video", "image_to_video"] as const)
      app.post(`/v1/${kind}`, async (request, reply) => {
        const context = contextOf(request);
        recordBody(context, request);
        if (await submitFaultAnswered(context, reply, runwayError, request)) return reply;
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (typeof body.model !== "string" || body.model === "")
          return reply.code(400).send({ error: "model is required." });
        if (kind === "text_to_video" && (typeof body.promptText !== "string" || body.promptText === ""))
          return reply.code(400).send({ error: "promptText is required." });
        if (kind === "image_to_video" && (typeof body.promptImage !== "string" || body.promptImage === ""))
          return reply.code(400).send({ error: "promptImage is required." });
        const size = sizeOfRatio(body.ratio);
        if (!size) return reply.code(400).send({ error: `ratio ${JSON.stringify(body.ratio)} is invalid.` });
        if (body.duration !== undefined && (!Number.isInteger(body.duration) || (body.duration as number) < 2))
          return reply.code(400).send({ error: "duration must be an integer of seconds." });
        const job = addJob(context, request, {
          model: body.model,
          prompt: typeof body.promptText === "string" ? body.promptText : "",
          seconds: String(body.duration ?? 5),
          size,
        });
        return { id: job.id };
      });

    // Video to video: the source's link or a data URI; the output keeps the source's length and size.
    app.post("/v1/video_to_video", async (request, reply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (await submitFaultAnswered(context, reply, runwayError, request)) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body.model !== "string" || body.model === "")
        return reply.code(400).send({ error: "model is required." });
      if (body.promptText !== undefined && typeof body.promptText !== "string")
        return reply.code(400).send({ error: "promptText is invalid." });
      const source = videoInputOf(context, body.videoUri);
      if (source.kind === "refused") return reply.code(400).send({ error: `videoUri: ${source.reason}.` });
      const job = addJob(context, request, {
        model: body.model,
        prompt: typeof body.promptText === "string" ? body.promptText : "",
        seconds: String(source.seconds),
        size: source.kind === "job" ? source.size : "1280x720",
      });
      return { id: job.id };
    });

    app.get<{ Params: { id: string } }>("/v1/tasks/:id", async (request, reply) => {
      if (await statusFaultAnswered(contextOf(request), reply, runwayError)) return reply;
      const task = taskOf(request, request.params.id);
      if (!task) return reply.code(404).send({ error: "Task not found." });
      return task;
    });

    app.delete<{ Params: { id: string } }>("/v1/tasks/:id", async (request, reply) => {
      const context = contextOf(request);
      const job = context.jobs.get(request.params.id);
      if (!job || deleted.has(job)) return reply.code(404).send({ error: "Task not found." });
      endEarly(job, context.now(), "cancelled");
      deleted.add(job);
      return reply.code(204).send();
    });

    app.get("/v1/organization", async () => ({ creditBalance: 1000, tier: { maxMonthlyCreditSpend: 10000 } }));
  };
