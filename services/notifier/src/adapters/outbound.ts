/** What one POST to a receiver came to. */
export interface PostResult {
  statusCode: number | null;
  error: string | null;
}

export type PostWebhook = (url: string, init: { headers: Record<string, string>; body: string }) => Promise<PostResult>;

/** A receiver has this long to answer (SPEC §1.5). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * INTERIM until libs/outbound (`guardedFetch`, the SSRF rules of SPEC §1.1) lands on main: https only
 * except the hosts in REELGATE_OUTBOUND_ALLOW, no redirects followed, a 10 s timeout. It does not yet
 * check the resolved address; guardedFetch will.
 */
export const postWebhook =
  (outboundAllow: string[]): PostWebhook =>
  async (url, { headers, body }) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { statusCode: null, error: "the endpoint URL is not a URL" };
    }
    const allowed = outboundAllow.includes(target.hostname);
    if (target.protocol !== "https:" && !(target.protocol === "http:" && allowed))
      return {
        statusCode: null,
        error: `refused: ${target.protocol}//${target.hostname} is not https (REELGATE_OUTBOUND_ALLOW exempts hosts)`,
      };
    try {
      const response = await fetch(target, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return { statusCode: response.status, error: null };
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      return { statusCode: null, error: (cause ?? (error as Error)).message };
    }
  };
