import { z } from "zod";
import type { Channel } from "./channels.ts";
import type { UpstreamHttpOptions } from "./fetch-upstream.ts";
import { mapRequest } from "./mapping.ts";
import {
  type EditRequest,
  type ExtendRequest,
  type Provider,
  type SubmitRequest,
  type Submitted,
  UpstreamError,
  type VideoSource,
} from "./provider.ts";
import { idLike, jsonBody, linkText, messageText, notOffered, type TaskStatuses, taskHttp } from "./task-http.ts";

/** How an edit changes the source (Luma's `mode`, adhere_1 … reimagine_3): the middle of the scale, as the prompt says. */
export const LUMA_MODIFY_MODE = "flex_1";

const lumaGeneration = z.object({
  id: idLike,
  state: z.enum(["queued", "dreaming", "completed", "failed"]),
  failure_reason: messageText.nullish(),
  /** The newer failure vocabulary (`content_moderated`, …), where Luma gives it. */
  failure_code: idLike.nullish(),
  model: idLike.nullish(),
  assets: z.object({ video: linkText.nullish() }).nullish(),
  request: z
    .object({
      duration: idLike.nullish(),
      aspect_ratio: idLike.nullish(),
      resolution: idLike.nullish(),
      model: idLike.nullish(),
    })
    .nullish(),
});
type LumaGeneration = z.infer<typeof lumaGeneration>;

/** Luma's moderation: `failure_code` content_moderated, or a failure reason that speaks of moderation or policy. */
const isFiltered = (code: string | undefined, message: string | undefined) =>
  code === "content_moderated" || /moderat|content polic|not allowed|safety|nsfw|inappropriate/i.test(message ?? "");

const statuses: TaskStatuses<LumaGeneration["state"]> = {
  queued: "queued",
  dreaming: "in_progress",
  completed: "completed",
  failed: "failed",
};

/** Luma documents no lifetime for its asset links [?]: a day is what we count on (storage copies at once). */
const LINK_LIFETIME_S = 24 * 3600;

/** `5s` → 5. */
const secondsOf = (duration: string | null | undefined) => {
  const match = /^(\d{1,3})s?$/.exec(duration ?? "");
  return match ? Number(match[1]) : undefined;
};

/**
 * Our upstream id of an extension or an edit keeps the source's length, which Luma's generation does not report:
 * `extend:{source seconds}:{generation id}`, `modify:{source seconds}:{generation id}`; a plain id is a generation.
 */
const idOf = (kind: "extend" | "modify", sourceSeconds: number, id: string) => `${kind}:${sourceSeconds}:${id}`;
const parseId = (upstreamId: string) => {
  const match = /^(extend|modify):(\d{1,4}):(.+)$/.exec(upstreamId);
  return match
    ? { kind: match[1] as "extend" | "modify", sourceSeconds: Number(match[2]), id: match[3] as string }
    : { kind: "generation" as const, sourceSeconds: 0, id: upstreamId };
};

/**
 * Luma Dream Machine: `POST {base}/generations` (prompt, model, aspect_ratio, resolution, duration), then
 * `GET {base}/generations/{id}` (`state` queued | dreaming | completed | failed, `assets.video`, `failure_reason`);
 * `DELETE` removes one. An extension is a generation whose `keyframes.frame0` is the source generation; an edit is
 * `POST {base}/generations/video/modify` of the source's video link. Luma takes images and videos only as URLs, so an
 * input image or an uploaded file it cannot take. docs/providers/luma.md.
 */
export const lumaProvider = (channel: Channel, options: Partial<UpstreamHttpOptions> = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${channel.api_key}` };
  const { callJson, callStatus, download, reportOf } = taskHttp(channel, { ...options, isFiltered });
  const generationUrl = (id: string) => `${base}/generations/${encodeURIComponent(id)}`;
  const generation = (upstreamId: string) => {
    const { id } = parseId(upstreamId);
    return callJson("status", generationUrl(id), { headers }, lumaGeneration, { ids: [id, upstreamId] });
  };
  const create = async (what: string, path: string, body: Record<string, unknown>, ids: readonly string[] = []) =>
    (await callJson(what, `${base}${path}`, jsonBody(body, headers), lumaGeneration, { ids })).id;
  const report = (found: LumaGeneration, upstreamId: string) => {
    const { kind, sourceSeconds } = parseId(upstreamId);
    const own = secondsOf(found.request?.duration);
    // An extension is the source continued: the stitched total; an edit keeps the source's length.
    const seconds = kind === "extend" ? sourceSeconds + (own ?? 0) : kind === "modify" ? sourceSeconds : own;
    return reportOf({
      status: statuses[found.state],
      code: found.failure_code ?? undefined,
      message: found.failure_reason ?? `the generation ended ${found.state}`,
      seconds,
      ids: [found.id, upstreamId],
      linkLifetimeSeconds: LINK_LIFETIME_S,
    });
  };
  /** The finished source generation of this channel, with its length; an unfinished or gone one cannot be a source. */
  const finishedSource = async (source: VideoSource, what: "edit" | "extend") => {
    if (source.kind !== "job") throw notOffered(`${what} of an uploaded video`, "Luma");
    const found = await generation(source.upstreamId);
    const link = found.state === "completed" ? found.assets?.video : undefined;
    if (!link)
      throw new UpstreamError(`${what}: the Luma generation is not a finished video`, {
        status: 400,
        retryable: false,
        upstreamCode: `${what}_source_unavailable`,
        upstreamMessage: `The source video is not available upstream to ${what}.`,
      });
    const { kind, sourceSeconds } = parseId(source.upstreamId);
    const own = secondsOf(found.request?.duration) ?? 0;
    const seconds = kind === "extend" ? sourceSeconds + own : kind === "modify" ? sourceSeconds : own;
    return { found, link, seconds };
  };

  return {
    follow: "poll",
    ...(channel.poll_interval_seconds ? { pollIntervalMs: channel.poll_interval_seconds * 1000 } : {}),

    async submit(request: SubmitRequest): Promise<Submitted> {
      // Luma takes a start frame only as a URL of the caller's own CDN; the capabilities table refuses it before here.
      if (request.inputReference) throw notOffered("image-to-video", "Luma");
      const { luma } = mapRequest(request);
      return {
        upstreamId: await create("submit", "/generations", { prompt: request.prompt, model: request.model, ...luma }),
      };
    },

    status: async (upstreamId) => report(await generation(upstreamId), upstreamId),

    async remix() {
      throw notOffered("remix", "Luma");
    },

    /**
     * A generation whose first keyframe is the source generation, by `request.seconds` (`5s`, `9s`), in the source's
     * aspect ratio and resolution.
     */
    async extend(source: VideoSource, request: ExtendRequest): Promise<Submitted> {
      const { found, seconds } = await finishedSource(source, "extend");
      const id = await create(
        "extend",
        "/generations",
        {
          prompt: request.prompt,
          model: request.model,
          keyframes: { frame0: { type: "generation", id: found.id } },
          duration: `${Number(request.seconds)}s`,
          ...(found.request?.aspect_ratio ? { aspect_ratio: found.request.aspect_ratio } : {}),
          ...(found.request?.resolution ? { resolution: found.request.resolution } : {}),
        },
        [found.id],
      );
      return { upstreamId: idOf("extend", seconds, id) };
    },

    /** Modify video (`generation_type: modify_video`) of the source's video link, in Luma's `flex_1` mode. */
    async edit(source: VideoSource, request: EditRequest): Promise<Submitted> {
      const { found, link, seconds } = await finishedSource(source, "edit");
      const id = await create(
        "edit",
        "/generations/video/modify",
        {
          generation_type: "modify_video",
          media: { url: link },
          mode: LUMA_MODIFY_MODE,
          model: request.model,
          prompt: request.prompt,
        },
        [found.id, link],
      );
      return { upstreamId: idOf("modify", seconds, id) };
    },

    /** Luma documents deleting a generation, not cancelling one: deleting stops it being ours; a gone one is nothing. */
    async cancel(upstreamId) {
      const { id } = parseId(upstreamId);
      await callStatus("cancel", generationUrl(id), { method: "DELETE", headers }, [id, upstreamId]).catch(
        (error: unknown) => {
          if ((error as { status?: number }).status !== 404) throw error;
        },
      );
    },

    async content(upstreamId, variant) {
      if (variant !== "video") throw notOffered(`content ${variant}`, "Luma");
      const found = await generation(upstreamId);
      const link = found.state === "completed" ? found.assets?.video : undefined;
      if (!link) throw notOffered("content video", "an unfinished Luma generation");
      // A CDN link: no key is sent.
      return download(link);
    },

    async check() {
      await callStatus("check", `${base}/generations?limit=1&offset=0`, { headers });
    },
  };
};
