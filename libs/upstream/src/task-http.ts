import { readBodyCapped } from "@reelgate/outbound";
import { z } from "zod";
import type { Channel } from "./channels.ts";
import { type UpstreamHttp, type UpstreamHttpOptions, type UpstreamInit, upstreamHttp } from "./fetch-upstream.ts";
import { type JobReport, UpstreamError } from "./provider.ts";
import { truncate, upstreamLimits } from "./upstream-text.ts";

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

/** An upstream id, status, code or model name as the task shapes hand them over: bounded, never trusted long. */
export const idLike = z.string().min(1).max(upstreamLimits.idChars);
/** A message is cut, not refused: a long one is still the upstream's reason (scrubbed before it goes anywhere). */
export const messageText = z.string().transform((text) => truncate(text));
/** A media link: bounded like a message, refused when longer (no link is 4 KiB). */
export const linkText = z.string().min(1).max(upstreamLimits.messageChars);

/**
 * A non-2xx answer as an UpstreamError: the guarded reader's status, retry hints and scrubbed message, with the
 * provider's own code and message wherever its error body keeps them (scrubbed and capped alike); `isFiltered` says
 * which provider codes are its content filter.
 */
export const httpErrorOf = async (
  http: UpstreamHttp,
  response: Response,
  what: string,
  isFiltered: (code: string | undefined, message: string | undefined) => boolean,
  ids: readonly string[] = [],
): Promise<UpstreamError> => {
  const text = await readBodyCapped(response, upstreamLimits.errorBodyBytes)
    .then((bytes) => bytes.toString("utf8"))
    .catch(() => "");
  const base = await http.errorOf(
    new Response(text, { status: response.status, headers: response.headers }),
    what,
    ids,
  );
  let parsed: { code?: string; message?: string } | undefined;
  try {
    parsed = topLevelOrNested(JSON.parse(text));
  } catch {}
  const message = parsed?.message === undefined ? base.upstreamMessage : http.scrub(parsed.message, ids);
  const ownCode =
    parsed?.code === undefined ? undefined : truncate(http.scrub(parsed.code, ids), upstreamLimits.idChars);
  // The filter is judged on the provider's own words; only the scrubbed ones are kept.
  const code = isFiltered(parsed?.code, parsed?.message ?? base.upstreamMessage)
    ? CONTENT_FILTERED
    : (ownCode ?? base.upstreamCode);
  return new UpstreamError(`${what}: upstream answered ${response.status}: ${message ?? ""}`, {
    status: base.status ?? response.status,
    retryable: base.retryable,
    ...(message === undefined ? {} : { upstreamMessage: message }),
    ...(code === undefined ? {} : { upstreamCode: code }),
    ...(base.retryAfterMs === undefined ? {} : { retryAfterMs: base.retryAfterMs }),
  });
};

export const jsonBody = (body: unknown, headers: Record<string, string>): UpstreamInit => ({
  method: "POST",
  headers: { ...headers, "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * The channel's guarded HTTP as the task shapes use it: every request, redirect hop and media link through
 * `upstreamHttp` (the channel's own host and its `media_hosts` only), answers read under the cap and checked
 * against a schema, errors scrubbed of the channel's key, base URL and the upstream's ids.
 */
export const taskHttp = (
  channel: Channel,
  {
    timeoutMs = channel.timeout_seconds * 1000,
    isFiltered,
    ...options
  }: Partial<UpstreamHttpOptions> & {
    isFiltered: (code: string | undefined, message: string | undefined) => boolean;
  },
) => {
  const http = upstreamHttp(channel, { timeoutMs, ...options });
  const ownHost = URL.parse(channel.base_url)?.host;

  /** A JSON request; a non-2xx answer, or one that is not JSON of `schema`'s shape, is an UpstreamError. */
  const callJson = async <T>(
    what: string,
    url: string,
    init: UpstreamInit,
    schema: z.ZodType<T>,
    { ids = [], maxBytes }: { ids?: readonly string[]; maxBytes?: number } = {},
  ): Promise<T> => {
    const response = await http.fetch(url, init, what);
    if (!response.ok) throw await httpErrorOf(http, response, what, isFiltered, ids);
    return http.json(response, schema, what, maxBytes);
  };

  /** A request whose answer is not read (a cancel, a check): only its status counts. */
  const callStatus = async (what: string, url: string, init: UpstreamInit, ids: readonly string[] = []) => {
    const response = await http.fetch(url, init, what);
    if (!response.ok) throw await httpErrorOf(http, response, what, isFiltered, ids);
    await response.body?.cancel().catch(() => {});
  };

  /**
   * Downloads a media link, streamed, through the guarded fetcher: the link and every redirect hop may reach only
   * the channel's own host and its `media_hosts`. `keyHeaders` go only to a link on the channel's own host, and
   * the guarded fetcher drops them on a redirect to another origin, so a key never leaves for another host.
   */
  const download = async (link: string, { keyHeaders = {} }: { keyHeaders?: Record<string, string> } = {}) => {
    const what = "content video";
    const url = URL.parse(link);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
      throw new UpstreamError(`${what}: the upstream's media link is not an http(s) URL`, {
        status: 502,
        retryable: false,
      });
    const response = await http.stream(link, { headers: url.host === ownHost ? keyHeaders : {} }, what);
    if (!response.ok || !response.body) throw await http.errorOf(response, what, [link]);
    const length = response.headers.get("content-length");
    return {
      body: response.body,
      contentType: response.headers.get("content-type") ?? "video/mp4",
      bytes: length === null ? undefined : Number(length),
    };
  };

  /**
   * A polled task as a JobReport: a failure keeps the provider's reason, scrubbed of `ids`, coded `content_filtered`
   * when its filter refused; a completed task keeps its length and when its link lapses.
   */
  const reportOf = ({ status, code, message, seconds, ids, linkLifetimeSeconds }: TaskState): JobReport => {
    if (status === "failed")
      return taskReport({
        status,
        error: {
          code: isFiltered(code, message) ? CONTENT_FILTERED : "upstream_failed",
          message: http.scrub(message, ids),
        },
      });
    if (status === "completed")
      return taskReport({
        status,
        seconds: seconds === undefined ? "" : String(seconds),
        expiresAt: expiresIn(linkLifetimeSeconds),
      });
    return taskReport({ status });
  };

  return { http, callJson, callStatus, download, reportOf, scrub: http.scrub };
};

/** A provider's task statuses, in its own words, as ours (its schema has already refused any other word). */
export type TaskStatuses<S extends string> = Readonly<Record<S, JobReport["status"]>>;

/** What a polled task says, already mapped to our status, for `reportOf`. */
export type TaskState = {
  status: JobReport["status"];
  /** The provider's failure code, if it gives one, and its reason (or a fallback when it gives none). */
  code?: string | undefined;
  message: string;
  /** The video's length, when the provider reports it. */
  seconds?: string | number | undefined;
  /** The upstream ids the message is scrubbed of. */
  ids: readonly string[];
  /** How long the provider keeps a finished video's link. */
  linkLifetimeSeconds: number;
};

export type TaskHttp = ReturnType<typeof taskHttp>;

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
