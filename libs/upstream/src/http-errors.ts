import { UpstreamError } from "./provider.ts";

const retryAfterMs = (response: Response): number | undefined => {
  const header = response.headers.get("retry-after");
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
};

/** Turns a non-2xx upstream answer into an UpstreamError with the upstream's own message. */
export const upstreamErrorOf = async (response: Response, what: string): Promise<UpstreamError> => {
  const text = await response.text().catch(() => "");
  let message = text.slice(0, 500);
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; code?: string | null } | string };
    if (typeof parsed.error === "string") message = parsed.error;
    else if (parsed.error?.message) message = parsed.error.message;
    if (typeof parsed.error === "object" && typeof parsed.error?.code === "string") code = parsed.error.code;
  } catch {}
  const status = response.status;
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  const retryAfter = retryAfterMs(response);
  return new UpstreamError(`${what}: upstream answered ${status}: ${message}`, {
    status,
    retryable,
    upstreamMessage: message,
    ...(code ? { upstreamCode: code } : {}),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  });
};

/** A network failure or time-out as a retryable upstream error. */
export const networkErrorOf = (error: unknown, what: string) => {
  const reason =
    error instanceof Error && error.name === "TimeoutError"
      ? "timed out"
      : error instanceof Error
        ? error.message
        : String(error);
  return new UpstreamError(`${what}: ${reason}`, { retryable: true });
};

/** fetch with a time cap; network failures and time-outs are retryable upstream errors. */
export const fetchUpstream = async (url: string, init: RequestInit, timeoutMs: number, what: string) => {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw networkErrorOf(error, what);
  }
};

/**
 * fetch for long bodies (media, event streams): `timeoutMs` caps the wait for the headers and then
 * every silence between two chunks, never the whole transfer. `signal` aborts it from outside.
 */
export const fetchStreaming = async (
  url: string,
  init: RequestInit,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<Response> => {
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", abort, { once: true });
  const expire = () => controller.abort(new DOMException("silent too long", "TimeoutError"));
  let timer = setTimeout(expire, timeoutMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(expire, timeoutMs).unref();
  };
  const done = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  };
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    done();
    throw networkErrorOf(controller.signal.reason ?? error, what);
  }
  if (!response.body) {
    done();
    return response;
  }
  rearm();
  const watched = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, sink) {
        rearm();
        sink.enqueue(chunk);
      },
      flush: done,
      cancel: done,
    }),
  );
  return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
};
