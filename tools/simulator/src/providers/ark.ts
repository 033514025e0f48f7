import type { FastifyPluginAsync } from "fastify";
import type { ContextOf } from "../context.ts";
import { endEarly } from "../jobs.ts";
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

/**
 * Volcengine Ark / BytePlus ModelArk's Seedance shape: `POST /contents/generations/tasks` with a `content`
 * array (text, carrying `--resolution --ratio --duration`; `image_url`), `GET` and `DELETE` the task.
 * Errors are `{error: {code, message}}`; the filter's code is `OutputVideoSensitiveContentDetected`.
 */

const error = (code: string, message: string) => ({ error: { code, message, param: "", type: "" } });

export const arkError = (status: number) =>
  status === 429
    ? error("RateLimitExceeded.EndpointRPMExceeded", "The request rate has exceeded the limit.")
    : status === 401
      ? error("AuthenticationError", "The API key or AK/SK in the request is missing or invalid.")
      : status >= 500
        ? error("InternalServiceError", "The service encountered an unexpected internal error.")
        : error("InvalidParameter", `The request was rejected with status ${status}.`);

const STATUS = { queued: "queued", in_progress: "running", completed: "succeeded", failed: "failed" } as const;

/** `--rs 720p --ratio 16:9 --dur 5` out of the text, and the prompt without them. */
const commandsOf = (text: string) => {
  const value = (long: string, short: string) => new RegExp(`--(?:${long}|${short})\\s+(\\S+)`).exec(text)?.[1];
  return {
    prompt: text.replace(/\s*--\w+\s+\S+/g, "").trim(),
    resolution: value("resolution", "rs") ?? "720p",
    ratio: value("ratio", "rt") ?? "16:9",
    duration: value("duration", "dur") ?? "5",
  };
};

export const arkApi =
  (contextOf: ContextOf, { mediaBaseUrl }: { mediaBaseUrl?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      if (!keyAccepted(contextOf(request), bearerOf(request)))
        return reply
          .code(401)
          .send(error("AuthenticationError", "The API key or AK/SK in the request is missing or invalid."));
    });

    app.post("/contents/generations/tasks", async (request, reply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (await submitFaultAnswered(context, reply, arkError, request)) return reply;
      const body = (request.body ?? {}) as {
        model?: unknown;
        content?: Array<{ type?: string; text?: string; image_url?: { url?: string } }>;
      };
      const text = body.content?.find((part) => part.type === "text")?.text;
      if (typeof text !== "string" || text.trim() === "")
        return reply.code(400).send(error("MissingParameter", "content: a text item is required."));
      const image = body.content?.find((part) => part.type === "image_url");
      if (image && typeof image.image_url?.url !== "string")
        return reply.code(400).send(error("InvalidParameter", "content.image_url.url is required."));
      const commands = commandsOf(text);
      const job = addJob(context, request, {
        model: String(body.model ?? ""),
        prompt: commands.prompt,
        seconds: commands.duration,
        size: sizeOfRatio(commands.ratio, commands.resolution),
      });
      return { id: job.id };
    });

    app.get("/contents/generations/tasks", async () => ({ items: [], total: 0 }));

    app.get<{ Params: { id: string } }>("/contents/generations/tasks/:id", async (request, reply) => {
      const context = contextOf(request);
      if (await statusFaultAnswered(context, reply, arkError)) return reply;
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(error("ResourceNotFound", "The specified task does not exist."));
      const { status } = stateOf(context, job);
      const cancelled = job.endedEarly === "cancelled";
      const [w, h] = job.size.split("x").map(Number);
      return {
        id: job.id,
        model: job.model,
        status: cancelled ? "cancelled" : STATUS[status],
        ...(status === "completed" ? { content: { video_url: mediaLinkOf(context, request, job, mediaBaseUrl) } } : {}),
        error:
          status === "failed" && !cancelled
            ? job.filtered
              ? {
                  code: "OutputVideoSensitiveContentDetected",
                  message: "The generated video may contain sensitive information. (simulated)",
                }
              : { code: "InternalServiceError", message: "Video generation failed (simulated)." }
            : null,
        duration: Number(job.seconds),
        resolution: `${Math.min(w ?? 0, h ?? 0)}p`,
        created_at: Math.floor(job.createdAtMs / 1000),
        ...(status === "completed" ? { usage: { completion_tokens: 100_000, total_tokens: 100_000 } } : {}),
      };
    });

    app.delete<{ Params: { id: string } }>("/contents/generations/tasks/:id", async (request, reply) => {
      const context = contextOf(request);
      const job = context.jobs.get(request.params.id);
      if (!job) return reply.code(404).send(error("ResourceNotFound", "The specified task does not exist."));
      const { status } = stateOf(context, job);
      if (status === "in_progress")
        return reply.code(400).send(error("InvalidAction.TaskRunning", "A running task cannot be cancelled."));
      if (status === "queued") endEarly(job, context.now(), "cancelled");
      return reply.code(200).send({});
    });
  };
