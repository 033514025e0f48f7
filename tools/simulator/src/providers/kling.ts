import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { decodeJwt, errors as joseErrors, jwtVerify } from "jose";
import type { ContextOf } from "../context.ts";
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
 * Kling's shape: `POST /v1/videos/text2video | image2video`, `GET` the task on the same path, every answer
 * `{code, message, request_id, data}` with `code` 0 for success. Auth is a JWT (HS256) whose `iss` is the
 * access key, signed with its secret key: the simulator's secret for access key K is `kling.secretOf(K)`
 * (default `secret-{K}`), and a bad signature, an expired or not-yet-valid token are refused as Kling does.
 */

const answer = (code: number, message: string, data?: unknown) => ({
  code,
  message,
  request_id: `sim-${Date.now().toString(36)}`,
  ...(data === undefined ? {} : { data }),
});

export const klingError = (status: number) =>
  status === 429
    ? answer(1302, "The API request is too fast, please slow down the request rate.")
    : status === 401
      ? answer(1000, "Authentication failed.")
      : status >= 500
        ? answer(5000, "Server internal error, please try again later.")
        : answer(1201, `The request was rejected with status ${status}.`);

const STATUS = { queued: "submitted", in_progress: "processing", completed: "succeed", failed: "failed" } as const;

/** How much a Kling extension adds: its documentation says 4 to 5 s. */
export const KLING_EXTENSION_SECONDS = 5;

export const defaultKlingSecret = (accessKey: string) => `secret-${accessKey}`;

export const klingApi =
  (
    contextOf: ContextOf,
    {
      secretOf = defaultKlingSecret,
      mediaBaseUrl,
    }: { secretOf?: (accessKey: string) => string | undefined; mediaBaseUrl?: string } = {},
  ): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      const token = bearerOf(request);
      if (!token) return reply.code(401).send(answer(1001, "Authorization is empty."));
      let accessKey: string;
      try {
        accessKey = String(decodeJwt(token).iss ?? "");
      } catch {
        return reply.code(401).send(answer(1002, "Authorization is invalid."));
      }
      const secret = keyAccepted(contextOf(request), accessKey) ? secretOf(accessKey) : undefined;
      if (!secret) return reply.code(401).send(answer(1000, "Authentication failed."));
      try {
        await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"], issuer: accessKey });
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired)
          return reply.code(401).send(answer(1004, "Authorization has expired."));
        if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf")
          return reply.code(401).send(answer(1003, "Authorization is not yet valid."));
        return reply.code(401).send(answer(1000, "Authentication failed."));
      }
    });

    const taskOf = (request: FastifyRequest, id: string) => {
      const context = contextOf(request);
      const job = context.jobs.get(id);
      if (!job) return undefined;
      const { status } = stateOf(context, job);
      return {
        task_id: job.id,
        task_status: STATUS[status],
        ...(status === "failed"
          ? {
              task_status_msg: job.filtered
                ? "Failure to pass the risk control system: the content security policy was triggered (simulated)."
                : "Video generation failed (simulated).",
            }
          : {}),
        created_at: job.createdAtMs,
        updated_at: job.createdAtMs,
        ...(status === "completed"
          ? {
              task_result: {
                videos: [
                  { id: `v_${job.id}`, url: mediaLinkOf(context, request, job, mediaBaseUrl), duration: job.seconds },
                ],
              },
            }
          : {}),
      };
    };

    // Video extension (`POST /v1/videos/video-extend {video_id, prompt}`): a video Kling made, named by the video's
    // id, continued by about 5 s in the source's model and mode; the task's video is the whole, extended one.
    app.post("/v1/videos/video-extend", async (request, reply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (await submitFaultAnswered(context, reply, klingError, request)) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const videoId = typeof body.video_id === "string" ? body.video_id : "";
      const source = context.jobs.get(videoId.replace(/^v_/, ""));
      if (!videoId || !source) return reply.code(400).send(answer(1201, "video_id is invalid."));
      if (stateOf(context, source).status !== "completed")
        return reply.code(400).send(answer(1201, "The video to extend is not finished."));
      if (body.prompt !== undefined && typeof body.prompt !== "string")
        return reply.code(400).send(answer(1201, "prompt is invalid."));
      const job = addJob(context, request, {
        model: source.model,
        prompt: typeof body.prompt === "string" && body.prompt !== "" ? body.prompt : source.prompt,
        seconds: String(Number(source.seconds) + KLING_EXTENSION_SECONDS),
        size: source.size,
      });
      return answer(0, "SUCCEED", {
        task_id: job.id,
        task_status: "submitted",
        created_at: job.createdAtMs,
        updated_at: job.createdAtMs,
      });
    });

    for (const kind of ["text2video", "image2video", "video-extend"] as const) {
      if (kind !== "video-extend")
        app.post(`/v1/videos/${kind}`, async (request, reply) => {
          const context = contextOf(request);
          recordBody(context, request);
          if (await submitFaultAnswered(context, reply, klingError, request)) return reply;
          const body = (request.body ?? {}) as Record<string, unknown>;
          if (typeof body.prompt !== "string" || body.prompt === "")
            return reply.code(400).send(answer(1201, "prompt is required."));
          if (kind === "image2video" && typeof body.image !== "string")
            return reply.code(400).send(answer(1201, "image is required."));
          if (body.mode !== undefined && body.mode !== "std" && body.mode !== "pro")
            return reply.code(400).send(answer(1201, `mode '${body.mode}' is invalid.`));
          if (body.duration !== undefined && body.duration !== "5" && body.duration !== "10")
            return reply.code(400).send(answer(1201, `duration '${body.duration}' is invalid.`));
          const job = addJob(context, request, {
            model: String(body.model_name ?? "kling-v1"),
            prompt: body.prompt,
            seconds: String(body.duration ?? "5"),
            size: sizeOfRatio(body.aspect_ratio ?? "16:9", body.mode === "pro" ? "1080p" : "720p"),
          });
          return answer(0, "SUCCEED", {
            task_id: job.id,
            task_status: "submitted",
            created_at: job.createdAtMs,
            updated_at: job.createdAtMs,
          });
        });

      app.get(`/v1/videos/${kind}`, async () => answer(0, "SUCCEED", []));

      app.get<{ Params: { id: string } }>(`/v1/videos/${kind}/:id`, async (request, reply) => {
        if (await statusFaultAnswered(contextOf(request), reply, klingError)) return reply;
        const task = taskOf(request, request.params.id);
        if (!task) return reply.code(404).send(answer(1203, "The task does not exist."));
        return answer(0, "SUCCEED", task);
      });
    }
  };
