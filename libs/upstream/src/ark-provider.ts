import type { Channel } from "./channels.ts";
import { dataUrlOf, mapRequest } from "./mapping.ts";
import type { JobReport, Provider, SubmitRequest, Submitted } from "./provider.ts";
import { CONTENT_FILTERED, callJson, downloadLink, expiresIn, jsonBody, notOffered, taskReport } from "./task-http.ts";

interface ArkTask {
  id: string;
  model?: string;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "expired";
  content?: { video_url?: string };
  error?: { code?: string; message?: string } | null;
  duration?: number;
  resolution?: string;
  ratio?: string;
}

/** Ark's moderation codes: `InputTextSensitiveContentDetected`, `OutputVideoSensitiveContentDetected`, … */
const isFiltered = (code: string | undefined) =>
  /SensitiveContentDetected|ContentSecurity|RiskDetect/i.test(code ?? "");

const statusOf = (status: ArkTask["status"]): JobReport["status"] =>
  status === "succeeded"
    ? "completed"
    : status === "running"
      ? "in_progress"
      : status === "queued"
        ? "queued"
        : "failed";

/**
 * ByteDance Seedance on Volcengine Ark / BytePlus ModelArk: `POST {base}/contents/generations/tasks` with a
 * `content` array (the prompt as `text`, carrying `--resolution --ratio --duration`, which every Seedance
 * model reads; the image as `image_url` content, a data URL, role `first_frame`), then `GET` the task.
 * Video links last 24 h. docs/providers/ark.md.
 */
export const arkProvider = (channel: Channel, { timeoutMs = channel.timeout_seconds * 1000 } = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${channel.api_key}` };
  const caller = { timeoutMs, isFiltered };
  const taskUrl = (id: string) => `${base}/contents/generations/tasks/${encodeURIComponent(id)}`;
  const task = (id: string) => callJson<ArkTask>(caller, "status", taskUrl(id), { headers });
  const reportOf = (found: ArkTask): JobReport => {
    const status = statusOf(found.status);
    if (status === "failed")
      return taskReport({
        status,
        error: {
          code: isFiltered(found.error?.code) ? CONTENT_FILTERED : "upstream_failed",
          message: found.error?.message ?? `the task ended ${found.status}`,
        },
      });
    if (status === "completed")
      return taskReport({
        status,
        seconds: found.duration === undefined ? "" : String(found.duration),
        expiresAt: expiresIn(86_400),
      });
    return taskReport({ status });
  };

  return {
    follow: "poll",
    ...(channel.poll_interval_seconds ? { pollIntervalMs: channel.poll_interval_seconds * 1000 } : {}),

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { ark } = mapRequest(request);
      const image = request.inputReference;
      const text = `${request.prompt} --resolution ${ark.resolution} --ratio ${ark.ratio} --duration ${ark.duration}`;
      const created = await callJson<ArkTask>(
        caller,
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
      );
      return { upstreamId: created.id };
    },

    status: async (upstreamId) => reportOf(await task(upstreamId)),

    async remix() {
      throw notOffered("remix", "Ark");
    },

    /** Ark deletes a queued task (cancelling it); a finished one is only removed from its list. */
    async cancel(upstreamId) {
      await callJson(caller, "cancel", taskUrl(upstreamId), { method: "DELETE", headers }).catch((error: unknown) => {
        const status = (error as { status?: number }).status;
        if (status !== 400 && status !== 404) throw error;
      });
    },

    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Ark");
      const found = await task(id);
      const link = found.status === "succeeded" ? found.content?.video_url : undefined;
      if (!link) throw notOffered("content video", "an unfinished Ark task");
      return downloadLink(link, { timeoutMs });
    },

    async check() {
      await callJson(caller, "check", `${base}/contents/generations/tasks?page_num=1&page_size=1`, { headers });
    },
  };
};
