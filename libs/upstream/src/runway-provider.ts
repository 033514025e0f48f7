import { z } from "zod";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions } from "./fetch-upstream.ts";
import { dataUrlOf, mapRequest, videoModelFor } from "./mapping.ts";
import {
  type EditRequest,
  type Provider,
  type SubmitRequest,
  type Submitted,
  UpstreamError,
  type VideoSource,
} from "./provider.ts";
import { idLike, jsonBody, linkText, messageText, notOffered, type TaskStatuses, taskHttp } from "./task-http.ts";

/** The API version every request names (`X-Runway-Version`): the one whose fields this adapter sends. */
export const RUNWAY_VERSION = "2024-11-06";

/** The video-to-video model when the channel's `models` names none (`video`): Runway's current one. */
export const RUNWAY_DEFAULT_EDIT_MODEL = "aleph2";

/** Runway takes a video inline as a data URI up to 16 MB (docs/providers/runway.md); larger files it cannot. */
export const RUNWAY_DATA_URI_VIDEO_BYTES = 16 * 1024 * 1024;

const runwayTask = z.object({
  id: idLike,
  status: z.enum(["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]),
  createdAt: z.string().optional(),
  /** 0..1, while RUNNING (clamped when read: a stray value is no reason to refuse the answer). */
  progress: z.number().nullish(),
  output: z.array(linkText).nullish(),
  failure: messageText.nullish(),
  failureCode: idLike.nullish(),
});
type RunwayTask = z.infer<typeof runwayTask>;
const createdTask = z.object({ id: idLike });

/** Runway's moderation: failure codes `SAFETY.INPUT.*`, `SAFETY.OUTPUT.*` and `INPUT_PREPROCESSING.SAFETY.*`. */
const isFiltered = (code: string | undefined) => /^(SAFETY\.|INPUT_PREPROCESSING\.SAFETY)/.test(code ?? "");

const statuses: TaskStatuses<RunwayTask["status"]> = {
  // THROTTLED: accepted, waiting for the organisation's concurrency to free up; still queued.
  PENDING: "queued",
  THROTTLED: "queued",
  RUNNING: "in_progress",
  SUCCEEDED: "completed",
  FAILED: "failed",
  CANCELLED: "failed",
};

/** Runway: "do not expect updates more frequent than once every five seconds for a given task". */
export const RUNWAY_POLL_INTERVAL_MS = 5000;

/** Runway's output links expire within 24–48 h: the shorter bound is what we count on. */
const LINK_LIFETIME_S = 24 * 3600;

/**
 * Runway: `POST {base}/v1/text_to_video | image_to_video | video_to_video`, then `GET {base}/v1/tasks/{id}`;
 * `DELETE` the task cancels it. Auth `Authorization: Bearer`, every request with `X-Runway-Version`. The size is sent
 * as Runway's `ratio` (`1280:720`), the image as a data URI. An edit is video_to_video of the source task's output link,
 * or of an uploaded file as a data URI. docs/providers/runway.md.
 */
export const runwayProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${channel.api_key}`, "x-runway-version": RUNWAY_VERSION };
  const { callJson, callStatus, download, reportOf } = taskHttp(channel, { ...options, isFiltered });
  const taskUrl = (id: string) => `${base}/v1/tasks/${encodeURIComponent(id)}`;
  const task = (id: string) => callJson("status", taskUrl(id), { headers }, runwayTask, { ids: [id] });
  const create = async (what: string, path: string, body: Record<string, unknown>, ids: readonly string[] = []) =>
    (await callJson(what, `${base}/v1/${path}`, jsonBody(body, headers), createdTask, { ids })).id;
  const report = (found: RunwayTask) => {
    const status = statuses[found.status];
    const ended = reportOf({
      status,
      code: found.failureCode ?? undefined,
      message: found.failure ?? `the task ended ${found.status}`,
      // Runway reports no length: the poller keeps the one asked for.
      ids: [found.id],
      linkLifetimeSeconds: LINK_LIFETIME_S,
    });
    return status === "in_progress" && typeof found.progress === "number"
      ? { ...ended, progress: Math.max(0, Math.min(99, Math.round(found.progress * 100))) }
      : ended;
  };
  /** A finished task's first output link, asked afresh (links lapse); none for an unfinished or empty one. */
  const outputOf = async (id: string) => {
    const found = await task(id);
    return found.status === "SUCCEEDED" ? found.output?.[0] : undefined;
  };

  return {
    follow: "poll",
    pollIntervalMs: channel.poll_interval_seconds ? channel.poll_interval_seconds * 1000 : RUNWAY_POLL_INTERVAL_MS,

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { runway } = mapRequest(request);
      const image = request.inputReference;
      const body = { model: request.model, promptText: request.prompt, ratio: runway.ratio, duration: runway.duration };
      const id = image
        ? await create("submit", "image_to_video", { ...body, promptImage: dataUrlOf(image.bytes, image.contentType) })
        : await create("submit", "text_to_video", body);
      return { upstreamId: id };
    },

    status: async (upstreamId) => report(await task(upstreamId)),

    async remix() {
      throw notOffered("remix", "Runway");
    },

    /**
     * video_to_video: the source is the finished task's output link (a Runway CDN URL Runway itself fetches) or the
     * uploaded file as a data URI. The model is the channel's `video` model for the source's, else Runway's current one;
     * the output keeps the source's length and aspect ratio.
     */
    async edit(source: VideoSource, request: EditRequest): Promise<Submitted> {
      let videoUri: string;
      if (source.kind === "job") {
        const link = await outputOf(source.upstreamId);
        if (!link)
          throw new UpstreamError("edit: the Runway task names no finished video to edit", {
            status: 400,
            retryable: false,
            upstreamCode: "edit_source_unavailable",
            upstreamMessage: "The source video is not available upstream to edit.",
          });
        videoUri = link;
      } else {
        if (source.body.byteLength > RUNWAY_DATA_URI_VIDEO_BYTES)
          throw new UpstreamError("edit: the uploaded video is larger than Runway takes inline", {
            status: 400,
            retryable: false,
            upstreamCode: "video_too_large",
            upstreamMessage: `Runway edits an uploaded video of at most ${RUNWAY_DATA_URI_VIDEO_BYTES} bytes.`,
          });
        videoUri = dataUrlOf(Buffer.from(source.body), source.contentType);
      }
      const model = videoModelFor(channel.models, request.model) ?? RUNWAY_DEFAULT_EDIT_MODEL;
      const ids = source.kind === "job" ? [source.upstreamId, videoUri] : [];
      return {
        upstreamId: await create("edit", "video_to_video", { model, videoUri, promptText: request.prompt }, ids),
      };
    },

    /** Runway cancels a pending, throttled or running task (and deletes a finished one); a gone one is nothing to do. */
    async cancel(upstreamId) {
      await callStatus("cancel", taskUrl(upstreamId), { method: "DELETE", headers }, [upstreamId]).catch(
        (error: unknown) => {
          if ((error as { status?: number }).status !== 404) throw error;
        },
      );
    },

    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Runway");
      const link = await outputOf(id);
      if (!link) throw notOffered("content video", "an unfinished Runway task");
      // A signed CDN link: it needs no key, and gets none.
      return download(link);
    },

    /** `GET /v1/organization` (the credit balance) costs nothing and needs a valid key. */
    async check() {
      await callStatus("check", `${base}/v1/organization`, { headers });
    },
  };
};
