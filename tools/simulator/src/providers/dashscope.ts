import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
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

/**
 * Alibaba Model Studio's shape (Wan): `POST /services/aigc/video-generation/video-synthesis` (refused without
 * `X-DashScope-Async: enable`), `GET /tasks/{id}`, `POST /tasks/{id}/cancel` for a PENDING task. Errors are
 * `{code, message, request_id}`; a failed task carries `output.code` (`DataInspectionFailed` for the filter).
 */

const error = (code: string, message: string) => ({ code, message, request_id: randomUUID() });

export const dashscopeError = (status: number) =>
  status === 429
    ? error("Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
    : status === 401
      ? error("InvalidApiKey", "Invalid API-key provided.")
      : status >= 500
        ? error("InternalError", "An internal error has occured, please try again later.")
        : error("InvalidParameter", `The request was rejected with status ${status}.`);

const STATUS = { queued: "PENDING", in_progress: "RUNNING", completed: "SUCCEEDED", failed: "FAILED" } as const;

export const dashscopeApi =
  (contextOf: ContextOf, { mediaBaseUrl }: { mediaBaseUrl?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      if (!keyAccepted(contextOf(request), bearerOf(request)))
        return reply.code(401).send(error("InvalidApiKey", "Invalid API-key provided."));
    });

    app.post("/services/aigc/video-generation/video-synthesis", async (request, reply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (request.headers["x-dashscope-async"] !== "enable")
        return reply.code(403).send(error("AccessDenied", "current user api does not support synchronous calls"));
      if (await submitFaultAnswered(context, reply, dashscopeError, request)) return reply;
      const body = (request.body ?? {}) as {
        model?: unknown;
        input?: { prompt?: unknown; img_url?: unknown };
        parameters?: { size?: unknown; resolution?: unknown; duration?: unknown };
      };
      const model = String(body.model ?? "");
      const prompt = body.input?.prompt;
      if (typeof prompt !== "string" || prompt === "")
        return reply.code(400).send(error("InvalidParameter", "input.prompt is required."));
      const i2v = /i2v/.test(model);
      if (i2v && typeof body.input?.img_url !== "string")
        return reply.code(400).send(error("InvalidParameter", "input.img_url is required by an image-to-video model."));
      if (!i2v && body.input?.img_url !== undefined)
        return reply.code(400).send(error("InvalidParameter", `Model ${model} does not take input.img_url.`));
      const size = i2v
        ? String(body.parameters?.resolution ?? "720P") === "1080P"
          ? "1920x1080"
          : "1280x720"
        : String(body.parameters?.size ?? "1280*720").replace("*", "x");
      if (!/^\d+x\d+$/.test(size))
        return reply.code(400).send(error("InvalidParameter", `size '${body.parameters?.size}' is invalid.`));
      const job = addJob(context, request, { model, prompt, seconds: String(body.parameters?.duration ?? 5), size });
      return { request_id: randomUUID(), output: { task_id: job.id, task_status: "PENDING" } };
    });

    app.get<{ Params: { id: string } }>("/tasks/:id", async (request, reply) => {
      const context = contextOf(request);
      if (await statusFaultAnswered(context, reply, dashscopeError)) return reply;
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(error("NotFound", "The task does not exist."));
      const { status } = stateOf(context, job);
      const cancelled = job.endedEarly === "cancelled";
      return {
        request_id: randomUUID(),
        output: {
          task_id: job.id,
          task_status: cancelled ? "CANCELED" : STATUS[status],
          ...(status === "completed" ? { video_url: mediaLinkOf(context, request, job, mediaBaseUrl) } : {}),
          ...(status === "failed" && !cancelled
            ? job.filtered
              ? { code: "DataInspectionFailed", message: "Output data may contain inappropriate content. (simulated)" }
              : { code: "InternalError", message: "Video generation failed (simulated)." }
            : {}),
        },
        ...(status === "completed" ? { usage: { video_duration: Number(job.seconds), video_count: 1 } } : {}),
      };
    });

    app.post<{ Params: { id: string } }>("/tasks/:id/cancel", async (request, reply) => {
      const context = contextOf(request);
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(error("NotFound", "The task does not exist."));
      if (stateOf(context, job).status !== "queued")
        return reply.code(400).send(error("UnsupportedOperation", "Only a PENDING task can be canceled."));
      endEarly(job, context.now(), "cancelled");
      return { request_id: randomUUID() };
    });
  };
