import { UpstreamError } from "./provider.ts";

const retryAfterMs = (response: Response): number | undefined => {
  const header = response.headers.get("retry-after");
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
};

/** Turns a non-2xx upstream answer into an UpstreamError with the upstream's own message. */
export const upstreamErrorOf = async (response: Response, what: string): Promise<UpstreamError> => {
  const text = await response.text().catch(() => "");
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    if (parsed.error?.message) message = parsed.error.message;
  } catch {}
  const status = response.status;
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  const retryAfter = retryAfterMs(response);
  return new UpstreamError(`${what}: upstream answered ${status}: ${message}`, {
    status,
    retryable,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  });
};

/** fetch with a time cap; network failures and time-outs are retryable upstream errors. */
export const fetchUpstream = async (url: string, init: RequestInit, timeoutMs: number, what: string) => {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UpstreamError(`${what}: ${reason}`, { retryable: true });
  }
};
