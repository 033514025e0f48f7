import type { Variant } from "@reelgate/contracts";
import { z } from "zod";
import { answerTooLarge, type UpstreamHttp } from "./fetch-upstream.ts";
import {
  type CharacterInput,
  type EditRequest,
  type ExtendRequest,
  type JobReport,
  type Provider,
  type RemixRequest,
  type SubmitRequest,
  type Submitted,
  UpstreamError,
  type UpstreamStatus,
  type VideoSource,
} from "./provider.ts";
import { truncate, upstreamLimits } from "./upstream-text.ts";

const idLike = z.string().min(1).max(upstreamLimits.idChars);
// Messages are cut, not refused: a long one is still the upstream's reason.
const message = z.string().transform((text) => truncate(text));

/** What Reelgate reads of an upstream Video object; anything else in it is ignored, anything outside bounds refused. */
const videoObject = z.object({
  id: idLike,
  status: idLike,
  progress: z.number().nullish(),
  model: idLike,
  seconds: z.union([idLike, z.number()]),
  size: idLike,
  expires_at: z.number().int().nonnegative().nullish(),
  error: z.object({ code: idLike.nullish(), message: message.nullish() }).nullish(),
});
type VideoObject = z.infer<typeof videoObject>;
const createdVideo = z.object({ id: idLike });
/**
 * A create's answer: OpenAI's `createVideo` (and remix, edit, extension) answers the `VideoResource`, the same Video
 * object a poll answers, with the job's `status` (openai-openapi, /work/shared/openai/videos.schema.json); a relay
 * may answer no more than the id.
 */
const createdAnswer = z.union([videoObject, createdVideo]);
/** OpenAI's VideoCharacterResource: `id` may be null in its schema, which leaves nothing to refer to. */
const createdCharacter = z.object({
  id: idLike.nullable(),
  name: z.string().nullish(),
  created_at: z.number().nullish(),
});

/**
 * The body of an edit or an extension as OpenAI's API takes it: JSON `{video: {id}, …}` for a job of this
 * upstream, multipart with the file part `video` for an uploaded file. No `model`: OpenAI's bodies have none
 * (the source decides it).
 */
const sourceBody = (
  source: VideoSource,
  fields: Record<string, string>,
): { body: FormData | string; json: boolean } => {
  if (source.kind === "job")
    return { body: JSON.stringify({ ...fields, video: { id: source.upstreamId } }), json: true };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set("video", new Blob([source.body as Uint8Array<ArrayBuffer>], { type: source.contentType }), source.filename);
  return { body: form, json: false };
};

/** A create with an input image: multipart, the one body that carries the file's bytes. */
const createForm = (
  request: SubmitRequest,
  { bytes, contentType, filename }: NonNullable<SubmitRequest["inputReference"]>,
) => {
  const form = new FormData();
  form.set("model", request.model);
  form.set("prompt", request.prompt);
  form.set("seconds", request.seconds);
  form.set("size", request.size);
  form.set("input_reference", new Blob([bytes], { type: contentType }), filename);
  return form;
};

/** Where a videos-API upstream lives and how it is authenticated: the one difference between openai and azure. */
export interface VideosApiShape {
  /** The URL of a path such as `/videos/{id}`, with any query the shape needs. */
  url(path: string, query?: Record<string, string>): string;
  headers: Record<string, string>;
  /** The channel's guarded HTTP (allowed hosts, time caps, scrubbing). */
  http: UpstreamHttp;
}

/** Every status the OpenAI and Azure video APIs use, onto the four public ones; unknown ones are still running. */
export const videoStatusOf = (upstream: string): UpstreamStatus => {
  const status = upstream.toLowerCase();
  if (status === "completed" || status === "succeeded" || status === "success") return "completed";
  if (["failed", "cancelled", "canceled", "expired", "error", "rejected"].includes(status)) return "failed";
  if (["queued", "pending", "preprocessing", "not_started", "notstarted"].includes(status)) return "queued";
  return "in_progress";
};

const reportOf = (video: VideoObject, scrub: (text: string) => string): JobReport => {
  const status = videoStatusOf(video.status);
  return {
    status,
    progress: Math.max(0, Math.min(100, Math.round(video.progress ?? (status === "completed" ? 100 : 0)))),
    model: video.model,
    seconds: String(video.seconds),
    size: video.size,
    error:
      status === "failed"
        ? {
            code: video.error?.code ?? "upstream_failed",
            message: scrub(video.error?.message ?? `the upstream job ended ${video.status}`),
          }
        : null,
    expiresAt: video.expires_at ?? null,
    variants: ["video", "thumbnail", "spritesheet"],
  };
};

const tooLargeReport: JobReport = {
  status: "failed",
  progress: 0,
  model: "",
  seconds: "",
  size: "",
  error: { code: "upstream_error", message: "The upstream's answer about this video was too large to read." },
  expiresAt: null,
  variants: [],
};

/**
 * The new job's id, and its report when the create's answer already says the job ended (a job done at once): what
 * the first poll would answer, so that poll is not needed. A job still running reports nothing here: it is polled.
 */
const submittedOf = (
  answer: z.infer<typeof createdAnswer>,
  scrub: (text: string, ids: string[]) => string,
): Submitted => {
  if (!("status" in answer)) return { upstreamId: answer.id };
  const report = reportOf(answer, (text) => scrub(text, [answer.id]));
  return report.status === "completed" || report.status === "failed"
    ? { upstreamId: answer.id, report }
    : { upstreamId: answer.id };
};

/** The OpenAI Videos API (`/videos`, multipart create, poll, content, remix), on the URLs and auth of a shape. */
export const videosApiProvider = ({ url, headers, http }: VideosApiShape): Provider => {
  const call = async (
    what: string,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: FormData | string | Uint8Array } = {},
    ids: string[] = [],
  ) => {
    const response = await http.fetch(url(path), { ...init, headers: { ...headers, ...init.headers } }, what);
    if (!response.ok) throw await http.errorOf(response, what, ids);
    return response;
  };
  const videoPath = (id: string) => `/videos/${encodeURIComponent(id)}`;
  const fromSource = async (
    what: string,
    path: string,
    source: VideoSource,
    fields: Record<string, string>,
    idempotencyKey: string | undefined,
  ): Promise<Submitted> => {
    const { body, json } = sourceBody(source, fields);
    const response = await call(
      what,
      path,
      {
        method: "POST",
        headers: {
          ...(json ? { "content-type": "application/json" } : {}),
          ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
        },
        body,
      },
      source.kind === "job" ? [source.upstreamId] : [],
    );
    return submittedOf(await http.json(response, createdAnswer, what), http.scrub);
  };

  return {
    follow: "poll",

    async submit(request: SubmitRequest): Promise<Submitted> {
      const { model, prompt, seconds, size } = request;
      const response = await call("submit", "/videos", {
        method: "POST",
        ...(request.inputReference
          ? {
              headers: { "idempotency-key": request.idempotencyKey },
              body: createForm(request, request.inputReference),
            }
          : // No file: the JSON body the API also takes (CreateVideoJsonBody), as bytes. Encoding a multipart form
            // cost ~50 µs and a Response, a stream and their buffers per create; this costs ~1 µs.
            {
              headers: { "content-type": "application/json", "idempotency-key": request.idempotencyKey },
              body: Buffer.from(JSON.stringify({ model, prompt, seconds, size })),
            }),
      });
      return submittedOf(await http.json(response, createdAnswer, "submit"), http.scrub);
    },

    async remix(upstreamId: string, request: RemixRequest): Promise<Submitted> {
      const response = await call(
        "remix",
        `${videoPath(upstreamId)}/remix`,
        {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": request.idempotencyKey },
          body: JSON.stringify({ prompt: request.prompt }),
        },
        [upstreamId],
      );
      return submittedOf(await http.json(response, createdAnswer, "remix"), http.scrub);
    },

    async edit(source: VideoSource, request: EditRequest): Promise<Submitted> {
      return fromSource("edit", "/videos/edits", source, { prompt: request.prompt }, request.idempotencyKey);
    },

    async extend(source: VideoSource, request: ExtendRequest): Promise<Submitted> {
      const fields = { prompt: request.prompt, seconds: request.seconds };
      return fromSource("extend", "/videos/extensions", source, fields, request.idempotencyKey);
    },

    async createCharacter({ name, video }: CharacterInput) {
      const form = new FormData();
      form.set("name", name);
      form.set("video", new Blob([video.body as Uint8Array<ArrayBuffer>], { type: video.contentType }), video.filename);
      const response = await call("create character", "/videos/characters", { method: "POST", body: form });
      const created = await http.json(response, createdCharacter, "create character");
      if (created.id === null)
        throw new UpstreamError("create character: the upstream answered a character without an id", {
          status: 502,
          retryable: false,
        });
      return { upstreamId: created.id };
    },

    async status(upstreamId: string): Promise<JobReport> {
      const response = await call("status", videoPath(upstreamId), {}, [upstreamId]);
      try {
        const video = await http.json(response, videoObject, "status");
        return reportOf(video, (text) => http.scrub(text, [upstreamId]));
      } catch (error) {
        // An answer too large to read will be as large next time: the job ends here, failed (never charged).
        if (!(error instanceof UpstreamError) || error.upstreamCode !== answerTooLarge) throw error;
        return tooLargeReport;
      }
    },

    async cancel(upstreamId: string) {
      await call("cancel", videoPath(upstreamId), { method: "DELETE" }, [upstreamId]).catch((error: unknown) => {
        // Already gone is what we wanted.
        if ((error as { status?: number }).status !== 404) throw error;
      });
    },

    async content(upstreamId: string, variant: Variant) {
      const what = `content ${variant}`;
      // Redirects (to the provider's storage, say) are followed only to the channel's own host and its media_hosts.
      const response = await http.stream(url(`${videoPath(upstreamId)}/content`, { variant }), { headers }, what);
      if (!response.ok || !response.body) throw await http.errorOf(response, what, [upstreamId]);
      const length = response.headers.get("content-length");
      return {
        body: response.body,
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        bytes: length === null ? undefined : Number(length),
      };
    },
  };
};
