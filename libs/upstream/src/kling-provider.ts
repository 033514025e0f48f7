import { SignJWT } from "jose";
import { z } from "zod";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions, UpstreamInit } from "./fetch-upstream.ts";
import { mapRequest } from "./mapping.ts";
import {
  type ExtendRequest,
  type Provider,
  type SubmitRequest,
  type Submitted,
  UpstreamError,
  type VideoSource,
} from "./provider.ts";
import {
  CONTENT_FILTERED,
  idLike,
  jsonBody,
  linkText,
  messageText,
  notOffered,
  type TaskStatuses,
  taskHttp,
} from "./task-http.ts";

/** Kling's answer envelope: `code` 0 is success, anything else an error whatever the HTTP status. */
const klingAnswer = <T extends z.ZodType>(data: T) =>
  z.object({ code: z.number(), message: messageText.optional(), request_id: idLike.optional(), data: data.optional() });

const klingTask = z.object({
  task_id: idLike,
  task_status: z.enum(["submitted", "processing", "succeed", "failed"]),
  task_status_msg: messageText.optional(),
  task_result: z
    .object({
      videos: z
        .array(z.object({ id: idLike.optional(), url: linkText, duration: z.union([idLike, z.number()]).optional() }))
        .optional(),
    })
    .optional(),
});
type KlingTask = z.infer<typeof klingTask>;

/** Kling's content-security refusals: code 1301 on submit, or a failed task saying so. */
const isFiltered = (code: string | undefined, message: string | undefined) =>
  code === "1301" || /content security|risk control|sensitive|safety|inappropriate/i.test(message ?? "");

const TOKEN_LIFETIME_S = 30 * 60;
/** A token is minted again this long before it expires, so none is sent about to lapse. */
const REFRESH_MARGIN_S = 5 * 60;

/** HS256 JWTs for Kling, as its docs require (`iss` = access key, `exp` ≤ 30 min, `nbf` 5 s back), one kept until near expiry. */
export const klingTokens = (accessKey: string, secretKey: string, now = () => Math.floor(Date.now() / 1000)) => {
  const secret = new TextEncoder().encode(secretKey);
  let current: { token: string; expiresAt: number } | undefined;
  return async (): Promise<string> => {
    const at = now();
    if (current && current.expiresAt - REFRESH_MARGIN_S > at) return current.token;
    const expiresAt = at + TOKEN_LIFETIME_S;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(accessKey)
      .setExpirationTime(expiresAt)
      .setNotBefore(at - 5)
      .sign(secret);
    current = { token, expiresAt };
    return token;
  };
};

const statuses: TaskStatuses<KlingTask["task_status"]> = {
  submitted: "queued",
  processing: "in_progress",
  succeed: "completed",
  failed: "failed",
};

/**
 * Our upstream id keeps which endpoint made the task: text2video, image2video and video-extend tasks are queried on
 * their own paths.
 */
const idOf = (kind: string, taskId: string) => `${kind}:${taskId}`;
const parseId = (upstreamId: string) => {
  const [kind, ...rest] = upstreamId.split(":");
  return kind === "image2video" || kind === "video-extend"
    ? { kind, taskId: rest.join(":") }
    : { kind: "text2video", taskId: rest.join(":") || upstreamId };
};

/**
 * Kling: `POST {base}/v1/videos/text2video | image2video`, `GET` the task on the same path, auth a JWT signed
 * with `api_secret` for the access key `api_key`. `code` ≠ 0 is an error even on HTTP 200. docs/providers/kling.md.
 */
export const klingProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const token = klingTokens(channel.api_key, channel.api_secret ?? "");
  const { callJson, download, reportOf, scrub } = taskHttp(channel, { ...options, isFiltered });
  const call = async <T extends z.ZodType>(
    what: string,
    path: string,
    data: T,
    init: UpstreamInit = {},
    ids: readonly string[] = [],
  ): Promise<z.infer<T>> => {
    const answer = await callJson(
      what,
      `${base}${path}`,
      { ...init, headers: { ...init.headers, authorization: `Bearer ${await token()}` } },
      klingAnswer(data),
      { ids },
    );
    if (answer.code !== 0 || answer.data === undefined) {
      const code = String(answer.code);
      const filtered = isFiltered(code, answer.message);
      const message = answer.message === undefined ? undefined : scrub(answer.message, ids);
      throw new UpstreamError(`${what}: Kling answered code ${code}: ${message ?? ""}`, {
        status: filtered ? 400 : answer.code >= 1200 && answer.code < 1400 ? 400 : 502,
        // 1302/1303: Kling's rate and concurrency limits; 5xxx: its server errors.
        retryable: answer.code === 1302 || answer.code === 1303 || answer.code >= 5000,
        upstreamCode: filtered ? CONTENT_FILTERED : `kling_${code}`,
        ...(message ? { upstreamMessage: message } : {}),
      });
    }
    return answer.data;
  };
  const task = (upstreamId: string) => {
    const { kind, taskId } = parseId(upstreamId);
    return call("status", `/v1/videos/${kind}/${encodeURIComponent(taskId)}`, klingTask, {}, [taskId, upstreamId]);
  };
  // A failed Kling task gives no code: only its message tells a content-security refusal.
  const report = (found: KlingTask, upstreamId: string) =>
    reportOf({
      status: statuses[found.task_status],
      message: found.task_status_msg ?? "the Kling task failed",
      seconds: found.task_result?.videos?.[0]?.duration,
      ids: [found.task_id, upstreamId],
      // Kling keeps generated media 30 days.
      linkLifetimeSeconds: 30 * 86_400,
    });

  return {
    follow: "poll",
    ...(channel.poll_interval_seconds ? { pollIntervalMs: channel.poll_interval_seconds * 1000 } : {}),

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { kling } = mapRequest(request);
      const kind = request.inputReference ? "image2video" : "text2video";
      const created = await call(
        "submit",
        `/v1/videos/${kind}`,
        klingTask,
        jsonBody(
          {
            model_name: request.model,
            prompt: request.prompt,
            ...kling,
            // Kling takes the image as bare base64 (no data: prefix) or a URL.
            ...(request.inputReference ? { image: request.inputReference.bytes.toString("base64") } : {}),
          },
          {},
        ),
      );
      return { upstreamId: idOf(kind, created.task_id) };
    },

    status: async (upstreamId) => report(await task(upstreamId), upstreamId),

    async remix() {
      throw notOffered("remix", "Kling");
    },

    /**
     * Kling's video-extend continues a video it made, named by the video's id (not the task's): the source task is
     * asked for it. Kling picks the extension's length itself (4–5 s) and the model and mode of the source, so
     * `seconds` and `model` are not sent. An uploaded file it cannot take.
     */
    async extend(source: VideoSource, request: ExtendRequest): Promise<Submitted> {
      if (source.kind !== "job") throw notOffered("extend of an uploaded video", "Kling");
      const found = await task(source.upstreamId);
      const videoId = found.task_status === "succeed" ? found.task_result?.videos?.[0]?.id : undefined;
      if (!videoId)
        throw new UpstreamError("extend: the Kling task names no finished video to extend", {
          status: 400,
          retryable: false,
          upstreamCode: "extend_source_unavailable",
          upstreamMessage: "The source video is not available upstream to extend.",
        });
      const created = await call(
        "extend",
        "/v1/videos/video-extend",
        klingTask,
        jsonBody({ video_id: videoId, prompt: request.prompt }, {}),
        [videoId],
      );
      return { upstreamId: idOf("video-extend", created.task_id) };
    },

    // Kling documents no cancel of a submitted task.
    async cancel() {},

    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Kling");
      // Asked afresh each time: the task names its current link.
      const found = await task(id);
      const link = found.task_status === "succeed" ? found.task_result?.videos?.[0]?.url : undefined;
      if (!link) throw notOffered("content video", "an unfinished Kling task");
      // The link is a CDN URL: it needs no token, and gets none.
      return download(link);
    },

    async check() {
      await call("check", "/v1/videos/text2video?pageNum=1&pageSize=1", z.unknown());
    },
  };
};
