import { type AddressPolicy, guardedFetch, type HostLookup, OutboundError, readBodyCapped } from "@reelgate/outbound";
import {
  blockedAddress,
  fetchFailed,
  fetchTimedOut,
  imageTooLarge,
  invalidReference,
  tooManyRedirects,
  unsupportedScheme,
} from "./errors.ts";

export { systemLookup } from "@reelgate/outbound";

export interface RemoteFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  lookup: HostLookup;
  /** The address rules with the operator's exemptions (REELGATE_OUTBOUND_ALLOW). */
  policy: AddressPolicy & { hosts?: ReadonlySet<string> };
}

/** The fetcher's refusals as input_reference errors. */
const apiErrorOf = (error: OutboundError) => {
  switch (error.kind) {
    case "invalid_url":
      return invalidReference(error.reason);
    case "unsupported_scheme":
      return unsupportedScheme(error.reason);
    case "blocked_address":
      return blockedAddress(error.reason);
    case "host_not_allowed":
      return blockedAddress("disallowed");
    case "too_many_redirects":
      return tooManyRedirects(error.limit ?? 0);
    case "too_large":
      return imageTooLarge(error.limit ?? 0);
    case "timed_out":
      return fetchTimedOut(error.limit ?? 0);
    case "fetch_failed":
      return fetchFailed(error.reason);
  }
};

/**
 * Fetches an image URL through the guarded fetcher (SSRF rules, pinned addresses, checked redirects), with one
 * deadline for everything, body included.
 */
export const remoteImageFetcher = (options: RemoteFetchOptions) => {
  const outboundAllow = { blockedKind: options.policy.blockedKind, hosts: options.policy.hosts ?? new Set<string>() };

  /** The bytes at `url`, or a typed error saying why not. */
  const fetchBytes = async (url: string): Promise<Buffer> => {
    if (!URL.parse(url)) throw invalidReference("is not a valid URL");
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await guardedFetch(url, {
        headers: { accept: "image/jpeg, image/png, image/webp", "user-agent": "Reelgate-image-fetcher" },
        signal,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        maxRedirects: options.maxRedirects,
        outboundAllow,
        lookup: options.lookup,
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw fetchFailed(`the server answered HTTP ${response.status}`);
      }
      return await readBodyCapped(response, options.maxBytes);
    } catch (error) {
      if (error instanceof OutboundError) throw apiErrorOf(error);
      if (signal.aborted) throw fetchTimedOut(options.timeoutMs);
      throw error;
    }
  };
  return { fetchBytes };
};
