import type { Variant } from "@reelgate/contracts";
import { fetchStreaming, fetchUpstream, upstreamErrorOf } from "./http-errors.ts";
import type { JobReport, Provider, RemixRequest, SubmitRequest, Submitted, UpstreamStatus } from "./provider.ts";

interface VideoObject {
  id: string;
  status: string;
  progress?: number;
  model: string;
  seconds: string | number;
  size: string;
  expires_at?: number | null;
  error?: { code?: string; message?: string } | null;
}

/** Where a videos-API upstream lives and how it is authenticated: the one difference between openai and azure. */
export interface VideosApiShape {
  /** The URL of a path such as `/videos/{id}`, with any query the shape needs. */
  url(path: string, query?: Record<string, string>): string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Every status the OpenAI and Azure video APIs use, onto the four public ones; unknown ones are still running. */
export const videoStatusOf = (upstream: string): UpstreamStatus => {
  const status = upstream.toLowerCase();
  if (status === "completed" || status === "succeeded" || status === "success") return "completed";
  if (["failed", "cancelled", "canceled", "expired", "error", "rejected"].includes(status)) return "failed";
  if (["queued", "pending", "preprocessing", "not_started", "notstarted"].includes(status)) return "queued";
  return "in_progress";
};

const reportOf = (video: VideoObject): JobReport => {
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
            message: video.error?.message ?? `the upstream job ended ${video.status}`,
          }
        : null,
    expiresAt: video.expires_at ?? null,
    variants: ["video", "thumbnail", "spritesheet"],
  };
};

/** The OpenAI Videos API (`/videos`, multipart create, poll, content, remix), on the URLs and auth of a shape. */
export const videosApiProvider = ({ url, headers, timeoutMs }: VideosApiShape): Provider => {
  const call = async (what: string, path: string, init: RequestInit = {}) => {
    const response = await fetchUpstream(
      url(path),
      { ...init, headers: { ...headers, ...init.headers } },
      timeoutMs,
      what,
    );
    if (!response.ok) throw await upstreamErrorOf(response, what);
    return response;
  };
  const videoPath = (id: string) => `/videos/${encodeURIComponent(id)}`;

  return {
    follow: "poll",

    async submit(request: SubmitRequest): Promise<Submitted> {
      const form = new FormData();
      form.set("model", request.model);
      form.set("prompt", request.prompt);
      form.set("seconds", request.seconds);
      form.set("size", request.size);
      if (request.inputReference) {
        const { bytes, contentType, filename } = request.inputReference;
        form.set("input_reference", new Blob([bytes], { type: contentType }), filename);
      }
      const response = await call("submit", "/videos", {
        method: "POST",
        headers: { "idempotency-key": request.idempotencyKey },
        body: form,
      });
      return { upstreamId: ((await response.json()) as VideoObject).id };
    },

    async remix(upstreamId: string, request: RemixRequest): Promise<Submitted> {
      const response = await call("remix", `${videoPath(upstreamId)}/remix`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": request.idempotencyKey },
        body: JSON.stringify({ prompt: request.prompt }),
      });
      return { upstreamId: ((await response.json()) as VideoObject).id };
    },

    async status(upstreamId: string): Promise<JobReport> {
      const response = await call("status", videoPath(upstreamId));
      return reportOf((await response.json()) as VideoObject);
    },

    async cancel(upstreamId: string) {
      await call("cancel", videoPath(upstreamId), { method: "DELETE" }).catch((error: unknown) => {
        // Already gone is what we wanted.
        if ((error as { status?: number }).status !== 404) throw error;
      });
    },

    async content(upstreamId: string, variant: Variant) {
      const what = `content ${variant}`;
      const response = await fetchStreaming(
        url(`${videoPath(upstreamId)}/content`, { variant }),
        { headers },
        timeoutMs,
        what,
      );
      if (!response.ok || !response.body) throw await upstreamErrorOf(response, what);
      const length = response.headers.get("content-length");
      return {
        body: response.body,
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        bytes: length === null ? undefined : Number(length),
      };
    },
  };
};
