import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { ApiError } from "../../http/api-error.ts";
import type { AddressPolicy } from "./address-policy.ts";
import {
  blockedAddress,
  fetchFailed,
  fetchTimedOut,
  imageTooLarge,
  invalidReference,
  tooManyRedirects,
  unsupportedScheme,
} from "./errors.ts";
import { readCapped } from "./read-capped.ts";
import type { HostLookup, ResolvedAddress } from "./types.ts";

export interface RemoteFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  lookup: HostLookup;
  policy: AddressPolicy;
}

export const systemLookup: HostLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, order: "verbatim" })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

const checkedUrl = (url: URL) => {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw unsupportedScheme(url.protocol.slice(0, -1));
  if (url.username || url.password) throw invalidReference("URL must not carry credentials");
  if (!hostOf(url)) throw invalidReference("URL has no host");
  return url;
};

/** Hands the socket exactly the address that was checked, so a second DNS answer can never be used. */
const pinnedLookup =
  (target: ResolvedAddress): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };

const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });

const describe = (error: unknown) => {
  const code = (error as { code?: string }).code;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "its host name did not resolve";
  if (code === "ECONNREFUSED") return "the connection was refused";
  if (code?.includes("CERT")) return `its TLS certificate was not accepted (${code})`;
  return code ?? (error instanceof Error ? error.message : String(error));
};

/**
 * Fetches an image URL under the SSRF rules: http(s) only, every hop's resolved addresses checked and the connection
 * pinned to the checked one, redirects followed by hand and counted, size capped while streaming, one deadline for all.
 */
export const remoteImageFetcher = (options: RemoteFetchOptions) => {
  const allowedTarget = async (url: URL, signal: AbortSignal): Promise<ResolvedAddress> => {
    const host = hostOf(url);
    const family = isIP(host);
    const addresses =
      family === 0 ? await Promise.race([options.lookup(host), untilAborted(signal)]) : [{ address: host, family }];
    if (addresses.length === 0) throw fetchFailed("its host name did not resolve");
    // Every answer must pass: an attacker's DNS could otherwise mix a public address with an internal one.
    for (const { address } of addresses) {
      const kind = options.policy.blockedKind(address);
      if (kind) throw blockedAddress(kind);
    }
    return addresses[0] as ResolvedAddress;
  };

  const requestOnce = (url: URL, target: ResolvedAddress, signal: AbortSignal) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const request = (url.protocol === "https:" ? https : http).request(
        {
          protocol: url.protocol,
          hostname: hostOf(url),
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: "GET",
          headers: {
            accept: "image/jpeg, image/png, image/webp",
            "accept-encoding": "identity",
            "user-agent": "Reelgate-image-fetcher",
          },
          agent: false, // no pooled socket, which could be connected to another address
          lookup: pinnedLookup(target),
          signal,
        },
        resolve,
      );
      request.on("error", reject);
      request.end();
    });

  const bodyOf = async (response: IncomingMessage, signal: AbortSignal) => {
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw fetchFailed(`the server answered HTTP ${status}`);
    const declared = Number(response.headers["content-length"] ?? Number.NaN);
    if (declared > options.maxBytes) throw imageTooLarge(options.maxBytes);
    let bytes: Buffer;
    try {
      bytes = await readCapped(response, options.maxBytes);
    } catch (error) {
      if (error instanceof ApiError || signal.aborted) throw error;
      throw fetchFailed("the connection closed before the whole image arrived");
    }
    if (Number.isFinite(declared) && bytes.length !== declared) {
      throw fetchFailed("the response ended before its declared length");
    }
    return bytes;
  };

  const followRedirects = async (start: URL, signal: AbortSignal) => {
    let url = checkedUrl(start);
    for (let redirects = 0; ; redirects++) {
      const target = await allowedTarget(url, signal);
      const response = await requestOnce(url, target, signal);
      try {
        const location = response.headers.location;
        if (!redirectStatuses.has(response.statusCode ?? 0) || !location) return await bodyOf(response, signal);
        if (redirects >= options.maxRedirects) throw tooManyRedirects(options.maxRedirects);
        url = checkedUrl(URL.parse(location, url.href) ?? invalidRedirect());
      } finally {
        response.destroy(); // closes the socket whatever happened; a no-op once the body was read
      }
    }
  };

  /** The bytes at `url`, or an ApiError saying why not. */
  const fetchBytes = async (url: string): Promise<Buffer> => {
    const parsed = URL.parse(url);
    if (!parsed) throw invalidReference("is not a valid URL");
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      return await followRedirects(parsed, signal);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (signal.aborted) throw fetchTimedOut(options.timeoutMs);
      throw fetchFailed(describe(error));
    }
  };
  return { fetchBytes };
};

const invalidRedirect = (): never => {
  throw fetchFailed("the server redirected to an invalid URL");
};
