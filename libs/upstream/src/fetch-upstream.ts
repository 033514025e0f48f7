import {
  type GuardedBody,
  guardedFetch,
  type HostLookup,
  noOutboundAllow,
  normalizeHost,
  type OutboundAllow,
  OutboundError,
  readBodyCapped,
} from "@reelgate/outbound";
import type { z } from "zod";
import type { Channel } from "./channels.ts";
import { UpstreamError } from "./provider.ts";
import { type ScrubContext, scrubUpstreamText, truncate, upstreamLimits } from "./upstream-text.ts";

export interface UpstreamInit {
  method?: string;
  headers?: Record<string, string>;
  body?: GuardedBody;
}

export interface UpstreamHttpOptions {
  /** Caps a request (to its whole answer for `fetch`; to the headers, then every silence, for `stream`). */
  timeoutMs: number;
  /** REELGATE_OUTBOUND_ALLOW; the channel's own hosts need no exemption. */
  outboundAllow?: OutboundAllow;
  lookup?: HostLookup;
}

const retryAfterMs = (response: Response): number | undefined => {
  const header = response.headers.get("retry-after");
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
};

/** The time cap of each `fetch` answer not read yet (see `fetch`). */
const answerCaps = new WeakMap<Response, ReturnType<typeof setTimeout>>();
const answerRead = (response: Response) => {
  clearTimeout(answerCaps.get(response));
  answerCaps.delete(response);
};

/** `upstreamCode` of an answer over the JSON cap: no reading of it is possible, whatever is retried. */
export const answerTooLarge = "upstream_answer_too_large";

/** The hosts a channel's requests and media links may reach: its own and its `media_hosts`, as the operator wrote them. */
export const channelHosts = (channel: Pick<Channel, "base_url" | "media_hosts">): string[] => {
  const own = URL.parse(channel.base_url)?.hostname;
  return [...(own ? [own] : []), ...(channel.media_hosts ?? [])].map(normalizeHost);
};

/** A refusal or failure of the guarded fetcher as an upstream error: refusals are final, network trouble retried. */
const upstreamErrorOfOutbound = (error: OutboundError, what: string) => {
  const refused = ["host_not_allowed", "blocked_address", "unsupported_scheme", "invalid_url", "too_many_redirects"];
  if (refused.includes(error.kind)) {
    return new UpstreamError(`${what}: the upstream pointed at a location Reelgate may not fetch (${error.kind})`, {
      retryable: false,
    });
  }
  if (error.kind === "too_large")
    return new UpstreamError(`${what}: the upstream's answer is too large`, { retryable: false });
  return new UpstreamError(`${what}: ${error.kind === "timed_out" ? "timed out" : error.reason}`, { retryable: true });
};

/** A network failure or time-out as a retryable upstream error. */
export const networkErrorOf = (error: unknown, what: string) => {
  if (error instanceof OutboundError) return upstreamErrorOfOutbound(error, what);
  if (error instanceof UpstreamError) return error;
  const reason =
    error instanceof Error && error.name === "TimeoutError"
      ? "timed out"
      : error instanceof Error
        ? error.message
        : String(error);
  return new UpstreamError(`${what}: ${truncate(reason, 500)}`, { retryable: true });
};

/**
 * HTTP to one channel. Every request, its redirect hops and every media link the upstream hands over go through the
 * guarded fetcher and may reach only the channel's own host and its `media_hosts`; answers are read under a size cap
 * and validated before use; the upstream's words are scrubbed of the channel's key, base URL and the upstream's ids.
 */
export const upstreamHttp = (
  channel: Pick<Channel, "base_url" | "api_key" | "media_hosts"> & { api_secret?: string | undefined },
  options: UpstreamHttpOptions,
) => {
  const hosts = channelHosts(channel);
  const scrubContext: ScrubContext = {
    secrets: [channel.api_key, ...(channel.api_secret ? [channel.api_secret] : [])],
    baseUrl: channel.base_url,
  };
  const scrub = (text: string, ids: readonly string[] = []) => scrubUpstreamText(text, { ...scrubContext, ids });

  const send = async (url: string, init: UpstreamInit, what: string, timeoutMs: number, signal?: AbortSignal) => {
    try {
      return await guardedFetch(url, {
        ...init,
        timeoutMs,
        signal,
        trustedHosts: hosts,
        allowedHosts: hosts,
        outboundAllow: options.outboundAllow ?? noOutboundAllow,
        lookup: options.lookup,
      });
    } catch (error) {
      throw networkErrorOf(error, what);
    }
  };

  return {
    hosts,
    scrub,

    /**
     * One request whose whole answer must arrive within the time cap. The cap's timer is cleared once `json` or
     * `errorOf` has read the answer: an `AbortSignal.timeout` would keep its timer and signal for the whole cap after
     * every request (a poller following 10,000 jobs held ~10,000 of them, all promoted to the old generation).
     */
    fetch: async (url: string, init: UpstreamInit, what: string) => {
      const cap = new AbortController();
      const timer = setTimeout(
        () => cap.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
        options.timeoutMs,
      );
      // As AbortSignal.timeout's: the cap alone keeps no process alive.
      timer.unref();
      try {
        const response = await send(url, init, what, options.timeoutMs, cap.signal);
        answerCaps.set(response, timer);
        return response;
      } catch (error) {
        clearTimeout(timer);
        throw error;
      }
    },

    /**
     * For long bodies (media, event streams): the time cap holds for the headers and then every silence between two
     * chunks, never the whole transfer. `signal` aborts it from outside.
     */
    stream: (url: string, init: UpstreamInit, what: string, signal?: AbortSignal) =>
      send(url, init, what, options.timeoutMs, signal),

    /** A non-2xx answer as an UpstreamError carrying the upstream's message, scrubbed and truncated. */
    async errorOf(response: Response, what: string, ids: readonly string[] = []): Promise<UpstreamError> {
      const text = await readBodyCapped(response, upstreamLimits.errorBodyBytes)
        .then((bytes) => bytes.toString("utf8"))
        .catch(() => "")
        .finally(() => answerRead(response));
      let raw = text;
      let code: string | undefined;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } | string };
        if (typeof parsed.error === "string") raw = parsed.error;
        else if (typeof parsed.error?.message === "string") raw = parsed.error.message;
        if (typeof parsed.error === "object" && typeof parsed.error?.code === "string") code = parsed.error.code;
      } catch {}
      const message = scrub(raw, ids);
      const status = response.status;
      const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
      const retryAfter = retryAfterMs(response);
      return new UpstreamError(`${what}: upstream answered ${status}: ${message}`, {
        status,
        retryable,
        upstreamMessage: message,
        ...(code ? { upstreamCode: truncate(scrub(code, ids), upstreamLimits.idChars) } : {}),
        ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      });
    },

    /**
     * The answer's JSON, read under a cap (1 MiB unless `maxBytes` says otherwise: an answer carrying media inline)
     * and checked against `schema`; anything else is an upstream error.
     */
    async json<T>(
      response: Response,
      schema: z.ZodType<T>,
      what: string,
      maxBytes: number = upstreamLimits.jsonBytes,
    ): Promise<T> {
      let parsed: unknown;
      try {
        parsed = JSON.parse(
          (await readBodyCapped(response, maxBytes).finally(() => answerRead(response))).toString("utf8"),
        );
      } catch (error) {
        if (error instanceof OutboundError && error.kind === "too_large") {
          throw new UpstreamError(`${what}: the upstream's answer is larger than ${maxBytes} bytes`, {
            status: 502,
            retryable: true,
            upstreamCode: answerTooLarge,
          });
        }
        throw new UpstreamError(`${what}: the upstream's answer is not JSON`, { status: 502, retryable: true });
      }
      const checked = schema.safeParse(parsed);
      if (!checked.success) {
        const where = checked.error.issues[0]?.path.join(".") || "(root)";
        throw new UpstreamError(`${what}: the upstream's answer is not of the expected shape (at ${where})`, {
          status: 502,
          retryable: true,
        });
      }
      return checked.data;
    },
  };
};

export type UpstreamHttp = ReturnType<typeof upstreamHttp>;
