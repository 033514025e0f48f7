import { z } from "zod";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions } from "./fetch-upstream.ts";
import { dataUrlOf, mapRequest } from "./mapping.ts";
import type { Provider, SubmitRequest, Submitted } from "./provider.ts";
import { idLike, jsonBody, linkText, messageText, notOffered, type TaskStatuses, taskHttp } from "./task-http.ts";

const arkTask = z.object({
  id: idLike,
  model: idLike.optional(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled", "expired"]),
  content: z.object({ video_url: linkText.optional() }).optional(),
  error: z.object({ code: idLike.optional(), message: messageText.optional() }).nullish(),
  duration: z.number().optional(),
  resolution: idLike.optional(),
  ratio: idLike.optional(),
});
type ArkTask = z.infer<typeof arkTask>;
const createdTask = z.object({ id: idLike });

/** Ark's moderation codes: `InputTextSensitiveContentDetected`, `OutputVideoSensitiveContentDetected`, … */
const isFiltered = (code: string | undefined) =>
  /SensitiveContentDetected|ContentSecurity|RiskDetect/i.test(code ?? "");

const statuses: TaskStatuses<ArkTask["status"]> = {
  queued: "queued",
  running: "in_progress",
  succeeded: "completed",
  failed: "failed",
  cancelled: "failed",
  expired: "failed",
};

/**
 * ByteDance Seedance on Volcengine Ark / BytePlus ModelArk: `POST {base}/contents/generations/tasks` with a
 * `content` array (the prompt as `text`, carrying `--resolution --ratio --duration`, which every Seedance
 * model reads; the image as `image_url` content, a data URL, role `first_frame`), then `GET` the task.
 * Video links last 24 h. docs/providers/ark.md.
 */
export const arkProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${channel.api_key}` };
  const { callJson, callStatus, download, reportOf } = taskHttp(channel, { ...options, isFiltered });
  const taskUrl = (id: string) => `${base}/contents/generations/tasks/${encodeURIComponent(id)}`;
  const task = (id: string) => callJson("status", taskUrl(id), { headers }, arkTask, { ids: [id] });
  const report = (found: ArkTask) =>
    reportOf({
      status: statuses[found.status],
      code: found.error?.code,
      message: found.error?.message ?? `the task ended ${found.status}`,
      seconds: found.duration,
      ids: [found.id],
      // Ark keeps video links 24 h.
      linkLifetimeSeconds: 86_400,
    });

  return {
    follow: "poll",
    ...(channel.poll_interval_seconds ? { pollIntervalMs: channel.poll_interval_seconds * 1000 } : {}),

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { ark } = mapRequest(request);
      const image = request.inputReference;
      const text = `${request.prompt} --resolution ${ark.resolution} --ratio ${ark.ratio} --duration ${ark.duration}`;
      const created = await callJson(
        "submit",
        `${base}/contents/generations/tasks`,
        jsonBody(
          {
            model: request.model,
            content: [
              { type: "text", text },
              ...(image
                ? [
                    {
                      type: "image_url",
                      image_url: { url: dataUrlOf(image.bytes, image.contentType) },
                      role: "first_frame",
                    },
                  ]
                : []),
            ],
          },
          headers,
        ),
        createdTask,
      );
      return { upstreamId: created.id };
    },

    status: async (upstreamId) => report(await task(upstreamId)),

    async remix() {
      throw notOffered("remix", "Ark");
    },

    /** Ark deletes a queued task (cancelling it); a finished one is only removed from its list. */
    async cancel(upstreamId) {
      await callStatus("cancel", taskUrl(upstreamId), { method: "DELETE", headers }, [upstreamId]).catch(
        (error: unknown) => {
          const status = (error as { status?: number }).status;
          if (status !== 400 && status !== 404) throw error;
        },
      );
    },

    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Ark");
      const found = await task(id);
      const link = found.status === "succeeded" ? found.content?.video_url : undefined;
      if (!link) throw notOffered("content video", "an unfinished Ark task");
      return download(link);
    },

    async check() {
      await callStatus("check", `${base}/contents/generations/tasks?page_num=1&page_size=1`, { headers });
    },
  };
};
