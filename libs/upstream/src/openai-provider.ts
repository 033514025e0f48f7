import type { Variant } from "@reelgate/contracts";
import type { Channel } from "./channels.ts";
import { fetchUpstream, upstreamErrorOf } from "./http-errors.ts";
import type { JobReport, Provider, SubmitRequest, UpstreamStatus } from "./provider.ts";

interface OpenAiVideo {
  id: string;
  status: string;
  progress?: number;
  model: string;
  seconds: string | number;
  size: string;
  expires_at?: number | null;
  error?: { code?: string; message?: string } | null;
}

const statusOf = (upstream: string): UpstreamStatus => {
  if (upstream === "completed" || upstream === "succeeded") return "completed";
  if (upstream === "failed" || upstream === "cancelled" || upstream === "expired") return "failed";
  if (upstream === "queued" || upstream === "pending") return "queued";
  return "in_progress";
};

/** The OpenAI Videos API shape, also what third-party relays speak. */
export const openAiProvider = (channel: Channel, { timeoutMs = 30_000 } = {}): Provider => {
  const base = channel.base_url.replace(/\/+$/, "");
  const auth = { authorization: `Bearer ${channel.api_key}` };

  return {
    async submit(request: SubmitRequest) {
      const form = new FormData();
      form.set("model", request.model);
      form.set("prompt", request.prompt);
      form.set("seconds", request.seconds);
      form.set("size", request.size);
      if (request.inputReference) {
        const { bytes, contentType, filename } = request.inputReference;
        form.set("input_reference", new Blob([bytes], { type: contentType }), filename);
      }
      const response = await fetchUpstream(
        `${base}/videos`,
        { method: "POST", headers: { ...auth, "idempotency-key": request.idempotencyKey }, body: form },
        timeoutMs,
        "submit",
      );
      if (!response.ok) throw await upstreamErrorOf(response, "submit");
      const video = (await response.json()) as OpenAiVideo;
      return { upstreamId: video.id };
    },

    async status(upstreamId: string): Promise<JobReport> {
      const response = await fetchUpstream(
        `${base}/videos/${encodeURIComponent(upstreamId)}`,
        { headers: auth },
        timeoutMs,
        "status",
      );
      if (!response.ok) throw await upstreamErrorOf(response, "status");
      const video = (await response.json()) as OpenAiVideo;
      const status = statusOf(video.status);
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
                message: video.error?.message ?? "the upstream job failed",
              }
            : null,
        expiresAt: video.expires_at ?? null,
        variants: ["video", "thumbnail", "spritesheet"],
      };
    },

    async content(upstreamId: string, variant: Variant) {
      const url = `${base}/videos/${encodeURIComponent(upstreamId)}/content?variant=${variant}`;
      const response = await fetchUpstream(url, { headers: auth }, timeoutMs, `content ${variant}`);
      if (!response.ok || !response.body) throw await upstreamErrorOf(response, `content ${variant}`);
      const length = response.headers.get("content-length");
      return {
        body: response.body,
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        bytes: length === null ? undefined : Number(length),
      };
    },
  };
};
