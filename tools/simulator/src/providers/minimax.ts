import { createHash } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import type { ContextOf, SimulatorContext } from "../context.ts";
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
 * MiniMax Hailuo's task API: `POST /video_generation` → `{task_id}`, `GET /query/video_generation?task_id=` →
 * `status` (`Preparing | Queueing | Processing | Success | Fail`) and, on success, `file_id` and the video's pixels,
 * `GET /files/retrieve?file_id=` → `file.download_url`. Every answer carries `base_resp {status_code, status_msg}`;
 * a refusal is HTTP 200 with a code ≠ 0 (1004 a refused key, 2013 a bad parameter, 1026/1027 the filter on the input
 * or the output), as MiniMax documents. Hailuo-02 makes 6 or 10 s at 768P, 6 s at 1080P.
 */

const baseResp = (status_code: number, status_msg: string) => ({ base_resp: { status_code, status_msg } });
const ok = baseResp(0, "success");

/** A fault's body in MiniMax's shape (the HTTP status is the fault's own, as a gateway in front may answer). */
export const minimaxError = (status: number) =>
  status === 429
    ? baseResp(1002, "rate limit exceeded")
    : status === 401
      ? baseResp(1004, "login fail: Please carefully check the API secret key")
      : status >= 500
        ? baseResp(1013, "internal service error")
        : baseResp(2013, `invalid params (status ${status})`);

/** `768P` → `1366x768`, as MiniMax documents its resolutions (landscape: the ratio follows the model). */
const SIZES: Record<string, string> = {
  "512P": "912x512",
  "720P": "1280x720",
  "768P": "1366x768",
  "1080P": "1920x1080",
};

/** MiniMax's file ids are integers: one per job, derived from its id. */
const fileIdOf = (jobId: string) => Number.parseInt(createHash("sha256").update(jobId).digest("hex").slice(0, 12), 16);

const jobOfFile = (context: SimulatorContext, fileId: string) =>
  context.jobs.list().find((job) => String(fileIdOf(job.id)) === fileId);

export const minimaxApi =
  (contextOf: ContextOf, { mediaBaseUrl }: { mediaBaseUrl?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    app.addHook("onRequest", async (request, reply) => {
      if (!keyAccepted(contextOf(request), bearerOf(request))) return reply.code(200).send(minimaxError(401));
    });

    app.post("/video_generation", async (request, reply) => {
      const context = contextOf(request);
      recordBody(context, request);
      if (await submitFaultAnswered(context, reply, minimaxError, request)) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const refuse = (message: string) => reply.code(200).send(baseResp(2013, `invalid params, ${message}`));
      if (typeof body.model !== "string" || body.model === "") return refuse("model is required");
      if (typeof body.prompt !== "string" || body.prompt === "") return refuse("prompt is required");
      if (body.first_frame_image !== undefined && typeof body.first_frame_image !== "string")
        return refuse("first_frame_image must be a URL or a data URL");
      const duration = Number(body.duration ?? 6);
      const resolution = String(body.resolution ?? "768P");
      const size = SIZES[resolution];
      if (!size) return refuse(`resolution ${resolution} is not supported`);
      if (![6, 10].includes(duration)) return refuse(`duration ${body.duration} is not supported`);
      if (duration === 10 && resolution === "1080P") return refuse("1080P supports only a 6 s duration");
      const job = addJob(context, request, { model: body.model, prompt: body.prompt, seconds: String(duration), size });
      return { task_id: job.id, ...ok };
    });

    app.get<{ Querystring: { task_id?: string } }>("/query/video_generation", async (request, reply) => {
      const context = contextOf(request);
      if (await statusFaultAnswered(context, reply, minimaxError)) return reply;
      const job = context.jobs.get(request.query.task_id ?? "");
      if (!job) return reply.code(200).send(baseResp(2013, "invalid params, task not found"));
      const { status } = stateOf(context, job);
      if (status === "failed")
        return job.filtered
          ? { task_id: job.id, status: "Fail", ...baseResp(1027, "output video sensitive (simulated)") }
          : { task_id: job.id, status: "Fail", ...ok };
      if (status !== "completed")
        return { task_id: job.id, status: status === "queued" ? "Queueing" : "Processing", ...ok };
      const [width, height] = job.size.split("x").map(Number);
      return {
        task_id: job.id,
        status: "Success",
        file_id: String(fileIdOf(job.id)),
        video_width: width,
        video_height: height,
        ...ok,
      };
    });

    app.get<{ Querystring: { file_id?: string } }>("/files/retrieve", async (request, reply) => {
      const context = contextOf(request);
      const job = jobOfFile(context, request.query.file_id ?? "");
      if (!job || stateOf(context, job).status !== "completed")
        return reply.code(200).send(baseResp(2013, "invalid params, file not found"));
      return {
        file: {
          file_id: fileIdOf(job.id),
          bytes: job.videoBytes ?? 0,
          created_at: Math.floor(job.createdAtMs / 1000),
          filename: "output.mp4",
          purpose: "video_generation",
          download_url: mediaLinkOf(context, request, job, mediaBaseUrl),
        },
        ...ok,
      };
    });
  };
