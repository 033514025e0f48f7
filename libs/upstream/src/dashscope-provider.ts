import { z } from "zod";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions } from "./fetch-upstream.ts";
import { dataUrlOf, imageModelFor, mapRequest } from "./mapping.ts";
import type { Provider, SubmitRequest, Submitted } from "./provider.ts";
import { idLike, jsonBody, linkText, messageText, notOffered, type TaskStatuses, taskHttp } from "./task-http.ts";

const dashscopeTask = z.object({
  request_id: idLike.optional(),
  output: z.object({
    task_id: idLike,
    task_status: z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]),
    video_url: linkText.optional(),
    code: idLike.optional(),
    message: messageText.optional(),
  }),
  usage: z.object({ video_duration: z.number().optional(), duration: z.number().optional() }).optional(),
});
type DashScopeTask = z.infer<typeof dashscopeTask>;

/** DashScope's content-moderation codes (input or output judged inappropriate, or suspected infringement). */
const isFiltered = (code: string | undefined) =>
  code === "DataInspectionFailed" || code === "IPInfringementSuspect" || /^DataInspection/.test(code ?? "");

const statuses: TaskStatuses<DashScopeTask["output"]["task_status"]> = {
  PENDING: "queued",
  RUNNING: "in_progress",
  SUCCEEDED: "completed",
  FAILED: "failed",
  CANCELED: "failed",
  UNKNOWN: "failed",
};

/**
 * Alibaba Model Studio (Wan): `POST {base}/services/aigc/video-generation/video-synthesis` with
 * `X-DashScope-Async: enable` (required), then `GET {base}/tasks/{task_id}`. Text-to-video takes `size`
 * `W*H`; image-to-video is another model (the `{text, image}` form of `models`) taking `img_url` (a data
 * URL) and `resolution` `720P`. Task ids and video links last about 24 h. docs/providers/dashscope.md.
 */
export const dashscopeProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${channel.api_key}` };
  const { callJson, callStatus, download, reportOf } = taskHttp(channel, { ...options, isFiltered });
  const task = (id: string) =>
    callJson("status", `${base}/tasks/${encodeURIComponent(id)}`, { headers }, dashscopeTask, { ids: [id] });
  const report = ({ output, usage }: DashScopeTask) =>
    reportOf({
      status: statuses[output.task_status],
      code: output.code,
      message: output.message ?? `the task ended ${output.task_status}`,
      seconds: usage?.video_duration ?? usage?.duration,
      ids: [output.task_id],
      // DashScope keeps video links about 24 h.
      linkLifetimeSeconds: 86_400,
    });

  return {
    follow: "poll",
    ...(channel.poll_interval_seconds ? { pollIntervalMs: channel.poll_interval_seconds * 1000 } : {}),

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { dashscope } = mapRequest(request);
      const image = request.inputReference;
      const body = image
        ? {
            model: imageModelFor(channel.models, request.model) ?? request.model,
            input: { prompt: request.prompt, img_url: dataUrlOf(image.bytes, image.contentType) },
            parameters: dashscope.image,
          }
        : { model: request.model, input: { prompt: request.prompt }, parameters: dashscope.text };
      const created = await callJson(
        "submit",
        `${base}/services/aigc/video-generation/video-synthesis`,
        jsonBody(body, { ...headers, "x-dashscope-async": "enable" }),
        dashscopeTask,
      );
      return { upstreamId: created.output.task_id };
    },

    status: async (upstreamId) => report(await task(upstreamId)),

    async remix() {
      throw notOffered("remix", "DashScope");
    },

    /** DashScope cancels a task still PENDING; one already running or gone is left as it is. */
    async cancel(upstreamId) {
      await callStatus(
        "cancel",
        `${base}/tasks/${encodeURIComponent(upstreamId)}/cancel`,
        { method: "POST", headers },
        [upstreamId],
      ).catch((error: unknown) => {
        const status = (error as { status?: number }).status;
        if (status !== 400 && status !== 404) throw error;
      });
    },

    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "DashScope");
      const found = await task(id);
      const link = found.output.task_status === "SUCCEEDED" ? found.output.video_url : undefined;
      if (!link) throw notOffered("content video", "an unfinished DashScope task");
      return download(link);
    },

    /** A task id that cannot exist: 404 (or 400) proves the key was taken; 401/403 that it was not. */
    async check() {
      await task("00000000-0000-0000-0000-000000000000").catch((error: unknown) => {
        const status = (error as { status?: number }).status;
        if (status !== 400 && status !== 404) throw error;
      });
    },
  };
};
