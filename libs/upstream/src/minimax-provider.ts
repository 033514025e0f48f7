import { z } from "zod";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions, UpstreamInit } from "./fetch-upstream.ts";
import { dataUrlOf, mapRequest } from "./mapping.ts";
import { type Provider, type SubmitRequest, type Submitted, UpstreamError } from "./provider.ts";
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

/** Every MiniMax answer carries `base_resp`; `status_code` ≠ 0 is an error whatever the HTTP status. */
const baseResp = z.object({ status_code: z.number(), status_msg: messageText.optional() });

const minimaxTask = z.object({
  task_id: idLike,
  status: z.enum(["Preparing", "Queueing", "Processing", "Success", "Fail"]),
  // MiniMax documents `file_id` as an integer in the file API and a string in the task's answer: either is taken.
  file_id: z.union([idLike, z.number()]).optional(),
  video_width: z.number().optional(),
  video_height: z.number().optional(),
});
type MiniMaxTask = z.infer<typeof minimaxTask>;

const minimaxFile = z.object({ file: z.object({ download_url: linkText }) });

/** 1026: the input judged sensitive; 1027: the output. */
const isFiltered = (code: string | undefined) => code === "1026" || code === "1027";

const statuses: TaskStatuses<MiniMaxTask["status"]> = {
  Preparing: "queued",
  Queueing: "queued",
  Processing: "in_progress",
  Success: "completed",
  Fail: "failed",
};

/** How a `base_resp.status_code` ≠ 0 is classified: rate limits, balance and server trouble go to another try. */
const statusOfCode = (code: number): { status: number; retryable: boolean } => {
  if (code === 1002) return { status: 429, retryable: true };
  if (code === 1004 || code === 2049) return { status: 401, retryable: false };
  // 1008: the account's balance ran out; another channel may still take the job.
  if (code === 1008) return { status: 402, retryable: true };
  if (isFiltered(String(code))) return { status: 400, retryable: false };
  // 1000, 1001, 1013: MiniMax's unknown error, timeout and internal service error.
  if (code === 1000 || code === 1001 || code === 1013) return { status: 502, retryable: true };
  return { status: 400, retryable: false };
};

/**
 * MiniMax Hailuo: `POST {base}/video_generation` with a Bearer key, `GET {base}/query/video_generation?task_id=`
 * until `Success`, then `GET {base}/files/retrieve?file_id=` for the video's `download_url`. A refusal may come as
 * HTTP 200 with `base_resp.status_code` ≠ 0, which is an error like any other. docs/providers/minimax.md.
 */
export const minimaxProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${channel.api_key}` };
  const { callJson, download, reportOf, scrub } = taskHttp(channel, { ...options, isFiltered });

  const call = async <T extends z.ZodType>(
    what: string,
    path: string,
    data: T,
    init: UpstreamInit = {},
    ids: readonly string[] = [],
    /** Codes that are the task's own outcome rather than a refusal of the call (the query's filter codes). */
    outcome: (code: number) => boolean = () => false,
  ): Promise<z.infer<T>> => {
    const answer = await callJson(
      what,
      `${base}${path}`,
      { ...init, headers: { ...init.headers, ...headers } },
      z.looseObject({ base_resp: baseResp.optional() }),
      { ids },
    );
    const code = answer.base_resp?.status_code ?? 0;
    if (code !== 0 && !outcome(code)) {
      const message = answer.base_resp?.status_msg === undefined ? undefined : scrub(answer.base_resp.status_msg, ids);
      throw new UpstreamError(`${what}: MiniMax answered status_code ${code}: ${message ?? ""}`, {
        ...statusOfCode(code),
        upstreamCode: isFiltered(String(code)) ? CONTENT_FILTERED : `minimax_${code}`,
        ...(message ? { upstreamMessage: message } : {}),
      });
    }
    const parsed = data.safeParse(answer);
    if (!parsed.success)
      throw new UpstreamError(`${what}: MiniMax's answer is not of the documented shape`, {
        status: 502,
        retryable: false,
      });
    return parsed.data;
  };

  // A task whose input or output the filter refused is answered with its code (1026, 1027): a failed task, not a
  // failed call.
  const task = (id: string) =>
    call(
      "status",
      `/query/video_generation?task_id=${encodeURIComponent(id)}`,
      minimaxTask.extend({ base_resp: baseResp.optional() }),
      {},
      [id],
      (code) => isFiltered(String(code)),
    );

  return {
    follow: "poll",
    ...(channel.poll_interval_seconds ? { pollIntervalMs: channel.poll_interval_seconds * 1000 } : {}),

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { minimax } = mapRequest(request);
      const image = request.inputReference;
      const created = await call(
        "submit",
        "/video_generation",
        z.object({ task_id: idLike }),
        jsonBody(
          {
            model: request.model,
            prompt: request.prompt,
            ...minimax,
            // The first frame as a data URL (MiniMax takes a URL or base64 with its data: prefix).
            ...(image ? { first_frame_image: dataUrlOf(image.bytes, image.contentType) } : {}),
          },
          {},
        ),
      );
      return { upstreamId: created.task_id };
    },

    async status(upstreamId) {
      const found = await task(upstreamId);
      const code = found.base_resp?.status_code;
      const filtered = code !== undefined && isFiltered(String(code));
      const report = reportOf({
        status: filtered ? "failed" : statuses[found.status],
        ...(filtered ? { code: String(code) } : {}),
        message: found.base_resp?.status_msg && code !== 0 ? found.base_resp.status_msg : "the MiniMax task failed",
        ids: [found.task_id, upstreamId],
        // [?] MiniMax does not say here how long a download_url lasts; it is asked afresh at each download.
        linkLifetimeSeconds: 86_400,
      });
      // What it made: the task names the video's pixels (billing charges the size made); it names no length.
      return found.status === "Success" && found.video_width && found.video_height
        ? { ...report, size: `${found.video_width}x${found.video_height}` }
        : report;
    },

    async remix() {
      throw notOffered("remix", "MiniMax");
    },

    // MiniMax documents no cancel of a submitted task.
    async cancel() {},

    /** The task names a file; the file API names its current download link (a CDN link: no key goes there). */
    async content(id, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "MiniMax");
      const found = await task(id);
      if (found.status !== "Success" || found.file_id === undefined)
        throw notOffered("content video", "an unfinished MiniMax task");
      const fileId = String(found.file_id);
      const file = await call(
        "content video",
        `/files/retrieve?file_id=${encodeURIComponent(fileId)}`,
        minimaxFile,
        {},
        [id, fileId],
      );
      return download(file.file.download_url);
    },

    /** A task that cannot exist: MiniMax refuses it as a bad parameter (a 400-class code) once the key is taken. */
    async check() {
      await task("0").catch((error: unknown) => {
        const status = (error as { status?: number }).status;
        if (status !== 400 && status !== 404) throw error;
      });
    },
  };
};
