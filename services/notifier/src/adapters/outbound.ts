import { isIP } from "node:net";
import {
  guardedFetch,
  hostOfUrl,
  isOutboundError,
  noOutboundAllow,
  normalizeHost,
  type OutboundAllow,
} from "@reelgate/outbound";

/** What one POST to a receiver came to. */
export interface PostResult {
  statusCode: number | null;
  error: string | null;
}

export type PostWebhook = (url: string, init: { headers: Record<string, string>; body: string }) => Promise<PostResult>;

/** A receiver has this long to answer (SPEC §1.5). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Plain http only for what REELGATE_OUTBOUND_ALLOW names: one of its host names, or an address it exempts. */
const mayUseHttp = (url: URL, allow: OutboundAllow) => {
  const host = hostOfUrl(url);
  if (allow.hosts.has(normalizeHost(host))) return true;
  return isIP(host) !== 0 && allow.blockedKind(host) === null && noOutboundAllow.blockedKind(host) !== null;
};

/**
 * Every delivery goes through guardedFetch (SPEC §1.1's SSRF rules: the resolved address checked and the
 * connection pinned to it, no redirect followed) with https required unless the host is exempt, and 10 s.
 * A refusal or a failure is a result to record and retry, never a thrown error.
 */
export const postWebhook =
  (outboundAllow: OutboundAllow): PostWebhook =>
  async (url, { headers, body }) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { statusCode: null, error: "the endpoint URL is not a URL" };
    }
    if (target.protocol !== "https:" && !(target.protocol === "http:" && mayUseHttp(target, outboundAllow)))
      return {
        statusCode: null,
        error: `refused: ${target.protocol}//${target.host} is not https (REELGATE_OUTBOUND_ALLOW exempts hosts)`,
      };
    try {
      const response = await guardedFetch(target, {
        method: "POST",
        headers,
        body,
        timeoutMs: DELIVERY_TIMEOUT_MS,
        maxRedirects: 0,
        outboundAllow,
      });
      await response.body?.cancel();
      return { statusCode: response.status, error: null };
    } catch (error) {
      if (isOutboundError(error)) return { statusCode: null, error: error.message };
      return { statusCode: null, error: (error as Error).message };
    }
  };
