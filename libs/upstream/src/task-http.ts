import { fetchStreaming, fetchUpstream, upstreamErrorOf } from "./http-errors.ts";
import { type JobReport, UpstreamError } from "./provider.ts";

/**
 * What the task-style providers (Kling, DashScope, Ark, Veo) share: JSON calls whose failures become
 * UpstreamErrors, with the provider's own code and message wherever its error body keeps them, and a
 * content filter refusal named `content_filtered` so the job fails uncharged with one code everywhere.
 */

export const CONTENT_FILTERED = "content_filtered";

/** Reads the code and message out of the error bodies these providers answer with. */
export type ErrorBodyReader = (body: unknown) => { code?: string; message?: string } | undefined;

/** `{"code": …, "message": …}` at the top (Kling, DashScope), or `{"error": {…}}` (Google, Ark). */
export const topLevelOrNested: ErrorBodyReader = (body) => {
  if (!body || typeof body !== "object") return undefined;
  const record = body as {
    code?: unknown;
    message?: unknown;
    error?: { code?: unknown; message?: unknown; status?: unknown };
  };
  const source = record.error && typeof record.error === "object" ? record.error : record;
  const code =
    typeof source.code === "string"
      ? source.code
      : "status" in source && typeof source.status === "string"
        ? source.status
        : typeof source.code === "number"
          ? String(source.code)
          : undefined;
  const message = typeof source.message === "string" ? source.message : undefined;
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
};

/** An error of a non-2xx answer; `isFiltered` says which provider codes are its content filter. */
export const httpErrorOf = async (
  response: Response,
  what: string,
  isFiltered: (code: string | undefined, message: string | undefined) => boolean,
): Promise<UpstreamError> => {
  const text = await response
    .clone()
    .text()
    .catch(() => "");
  const base = await upstreamErrorOf(response, what);
  let parsed: { code?: string; message?: string } | undefined;
  try {
    parsed = topLevelOrNested(JSON.parse(text));
  } catch {}
  const message = parsed?.message ?? base.upstreamMessage;
  const code = isFiltered(parsed?.code, message) ? CONTENT_FILTERED : (parsed?.code ?? base.upstreamCode);
  return new UpstreamError(`${what}: upstream answered ${response.status}: ${message ?? ""}`, {
    status: base.status ?? response.status,
    retryable: base.retryable,
    ...(message === undefined ? {} : { upstreamMessage: message }),
    ...(code === undefined ? {} : { upstreamCode: code }),
    ...(base.retryAfterMs === undefined ? {} : { retryAfterMs: base.retryAfterMs }),
  });
};

export interface JsonCaller {
  timeoutMs: number;
  isFiltered: (code: string | undefined, message: string | undefined) => boolean;
}

/** A JSON request; a non-2xx answer or a body that is not JSON is an UpstreamError. */
export const callJson = async <T>(
  { timeoutMs, isFiltered }: JsonCaller,
  what: string,
  url: string,
  init: RequestInit,
): Promise<T> => {
  const response = await fetchUpstream(url, init, timeoutMs, what);
  if (!response.ok) throw await httpErrorOf(response, what, isFiltered);
  const text = await response.text();
  if (text.trim() === "") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UpstreamError(`${what}: the upstream answered ${response.status} without JSON`, {
      status: response.status,
      retryable: true,
    });
  }
};

export const jsonBody = (body: unknown, headers: Record<string, string>): RequestInit => ({
  method: "POST",
  headers: { ...headers, "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * Downloads a media link, streamed. `keyHeaders` go only to the link's first host and only when it is the
 * channel's own (`trustedHost`): a redirect elsewhere (a CDN) is followed once, without them, so a key never
 * leaves for another host.
 */
export const downloadLink = async (
  link: string,
  {
    timeoutMs,
    keyHeaders = {},
    trustedHost,
  }: { timeoutMs: number; keyHeaders?: Record<string, string>; trustedHost?: string },
) => {
  const what = "content video";
  if (!/^https?:\/\//.test(link))
    throw new UpstreamError(`${what}: the upstream's media link is not an http(s) URL`, {
      status: 502,
      retryable: false,
    });
  const withKey = trustedHost !== undefined && new URL(link).host === trustedHost;
  let response = await fetchStreaming(
    link,
    { headers: withKey ? keyHeaders : {}, redirect: "manual" },
    timeoutMs,
    what,
  );
  const location = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && location) {
    await response.body?.cancel();
    response = await fetchStreaming(new URL(location, link).toString(), { redirect: "manual" }, timeoutMs, what);
  }
  if (!response.ok || !response.body) throw await upstreamErrorOf(response, what);
  const length = response.headers.get("content-length");
  return {
    body: response.body,
    contentType: response.headers.get("content-type") ?? "video/mp4",
    bytes: length === null ? undefined : Number(length),
  };
};

/** A report field set shared by the task providers: they make one video and report neither size nor progress. */
export const taskReport = (fields: Pick<JobReport, "status"> & Partial<JobReport>): JobReport => ({
  progress: fields.status === "completed" ? 100 : 0,
  model: "",
  seconds: "",
  size: "",
  error: null,
  expiresAt: null,
  variants: ["video"],
  ...fields,
});

export const notOffered = (what: string, provider: string) =>
  new UpstreamError(`${what}: ${provider} has no such operation`, {
    status: 400,
    retryable: false,
    upstreamCode: "unsupported_operation",
    upstreamMessage: `${what} is not offered by this video's provider.`,
  });

/** Seconds from now, as unix seconds: for links the provider documents as expiring. */
export const expiresIn = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;
