import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { finished } from "node:stream/promises";
import { LRUCache } from "lru-cache";
import { agentFor, pinnedLookup } from "./connection-pool.ts";
import { OutboundError } from "./errors.ts";
import { hostOfUrl, normalizeHost } from "./hosts.ts";
import { type HostLookup, type ResolvedAddress, systemLookup } from "./lookup.ts";
import type { OutboundAllow } from "./outbound-allow.ts";

export type GuardedBody = string | Uint8Array | FormData | URLSearchParams | Blob;

export interface GuardedFetchOptions {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: GuardedBody;
  /** Aborts the whole exchange, body included, from outside. */
  signal?: AbortSignal;
  /** Caps the wait for the answer's headers (all hops together), then every silence while the body streams. */
  timeoutMs: number;
  /** Largest body accepted; a larger Content-Length is refused up front, a longer stream errors with `too_large`. */
  maxBytes?: number;
  /** Redirects followed by hand, each hop checked (default 3). 0: a 3xx is returned as it is, never followed. */
  maxRedirects?: number;
  /** Hosts exempt from the address check (a channel's own host and its media_hosts): the operator wrote them. */
  trustedHosts?: readonly string[];
  /** When given, every hop's host must be one of these; any other host is refused before a connection is made. */
  allowedHosts?: readonly string[];
  outboundAllow: OutboundAllow;
  /** DNS; tests inject one. */
  lookup?: HostLookup;
}

/** An answer's body as guardedFetch reads it: chunks under the caps, `undefined` at its end. */
interface BodySource {
  next(): Promise<Uint8Array | undefined>;
  cancel(): void;
}
/** The source behind each body stream guardedFetch made, for readers that can skip the web stream. */
const sources = new WeakMap<ReadableStream<Uint8Array>, BodySource>();

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
// Credentials meant for the first host never follow a redirect to another origin.
const credentialHeaders = ["authorization", "proxy-authorization", "cookie", "api-key", "x-api-key", "x-goog-api-key"];

/**
 * A list of hosts as a set of normalized ones, kept by the list's content (callers pass the same few lists on every
 * request; each normalization parses a URL). Keyed by the joined names, not the array: a list changed in place is
 * never answered from an old set.
 */
const hostSets = new LRUCache<string, ReadonlySet<string>>({ max: 256 });
const hostSet = (hosts: readonly string[]): ReadonlySet<string> => {
  const key = hosts.join("\n");
  let set = hostSets.get(key);
  if (!set) {
    set = new Set(hosts.map(normalizeHost));
    hostSets.set(key, set);
  }
  return set;
};

const checkedUrl = (url: URL) => {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundError("unsupported_scheme", url.protocol.slice(0, -1));
  }
  if (url.username || url.password) throw new OutboundError("invalid_url", "URL must not carry credentials");
  if (!hostOfUrl(url)) throw new OutboundError("invalid_url", "URL has no host");
  return url;
};

/**
 * A request that failed this way on a pooled socket, before any byte of an answer, was sent on a connection the
 * server had already closed (its idle timer and ours crossed): it is sent once more, on a fresh socket.
 */
const staleSocketCodes = new Set(["ECONNRESET", "EPIPE"]);

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
  if (code === "ECONNRESET") return "the connection was reset";
  if (code?.includes("CERT")) return `its TLS certificate was not accepted (${code})`;
  return code ?? (error instanceof Error ? error.message : String(error));
};

const headerRecord = (headers: GuardedFetchOptions["headers"]) => {
  const record: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers ?? {});
  for (const [name, value] of entries) record[name.toLowerCase()] = value;
  return record;
};

/** The request body as bytes, with the content type the platform's own encoder gives it (multipart boundary included). */
const encodedBody = async (body: GuardedBody | undefined) => {
  if (body === undefined) return { bytes: undefined, type: undefined };
  if (typeof body !== "string" && body instanceof Uint8Array) return { bytes: body, type: undefined };
  const encoded = new Response(body);
  return { bytes: new Uint8Array(await encoded.arrayBuffer()), type: encoded.headers.get("content-type") ?? undefined };
};

const sameOrigin = (a: URL, b: URL) => a.origin === b.origin;

const responseHeaders = (message: IncomingMessage) => {
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {
      // A header the Fetch API cannot hold is dropped, not fatal.
    }
  }
  return headers;
};

/**
 * Fetches a URL someone else supplied under the SSRF rules: http(s) only, every hop's host checked against
 * `allowedHosts`, every resolved address checked (unless the host is trusted or exempt) and the connection pinned
 * to the checked one, redirects followed by hand and counted, the body capped while it streams. Resolves to a
 * fetch `Response` of the last hop; refusals and failures reject with an `OutboundError`.
 */
export const guardedFetch = async (url: string | URL, options: GuardedFetchOptions): Promise<Response> => {
  const maxRedirects = options.maxRedirects ?? 3;
  const lookup = options.lookup ?? systemLookup;
  const trusted = hostSet([...(options.trustedHosts ?? []), ...options.outboundAllow.hosts]);
  const allowed = options.allowedHosts ? hostSet(options.allowedHosts) : undefined;

  const deadline = new AbortController();
  const timedOut = () => new OutboundError("timed_out", `no answer within ${options.timeoutMs} ms`, options.timeoutMs);
  const timer = setTimeout(() => deadline.abort(timedOut()), options.timeoutMs);
  const stopTimer = () => clearTimeout(timer);
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;

  const failure = (error: unknown): unknown => {
    if (error instanceof OutboundError) return error;
    if (deadline.signal.aborted) return deadline.signal.reason;
    if (options.signal?.aborted) {
      const reason = options.signal.reason as { name?: string } | undefined;
      return reason?.name === "TimeoutError" ? timedOut() : options.signal.reason;
    }
    return new OutboundError("fetch_failed", describe(error));
  };

  const allowedTarget = async (target: URL): Promise<ResolvedAddress> => {
    const host = hostOfUrl(target);
    if (allowed && !allowed.has(host))
      throw new OutboundError("host_not_allowed", "its host is not one Reelgate may fetch from");
    const family = isIP(host);
    const addresses =
      family === 0
        ? await Promise.race([lookup(host), untilAborted(signal)])
        : [{ address: host, family: family as 4 | 6 }];
    if (addresses.length === 0) throw new OutboundError("fetch_failed", "its host name did not resolve");
    // Every answer must pass: an attacker's DNS could otherwise mix a public address with an internal one.
    if (!trusted.has(host)) {
      for (const { address } of addresses) {
        const kind = options.outboundAllow.blockedKind(address);
        if (kind) throw new OutboundError("blocked_address", kind);
      }
    }
    return addresses[0] as ResolvedAddress;
  };

  const requestOnce = (
    target: URL,
    address: ResolvedAddress,
    method: string,
    headers: Record<string, string>,
    body?: Uint8Array,
    fresh = false,
  ): Promise<IncomingMessage> =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const host = hostOfUrl(target);
      const request = (target.protocol === "https:" ? https : http).request(
        {
          protocol: target.protocol,
          hostname: host,
          port: target.port || undefined,
          path: `${target.pathname}${target.search}`,
          method,
          headers: body ? { ...headers, "content-length": String(body.byteLength) } : headers,
          // A pooled socket only ever connects to this checked address for this host (connection-pool.ts).
          agent: fresh ? false : agentFor(target.protocol, host, address, target.port),
          lookup: pinnedLookup(address),
          signal,
        },
        resolve,
      );
      request.on("error", (error: NodeJS.ErrnoException) => {
        // The 'response' callback has not run (it settles this promise first): no byte of an answer came.
        const stale = !fresh && request.reusedSocket && staleSocketCodes.has(error.code ?? "") && !signal.aborted;
        if (stale) resolve(requestOnce(target, address, method, headers, body, true));
        else reject(error);
      });
      request.end(body);
    });

  /**
   * Lets go of an answer we will not read. One that has fully arrived is drained, which hands its socket back to the
   * pool; any other is destroyed with its socket, so nothing more is read from it.
   */
  const letGo = (message: IncomingMessage) => {
    if (message.complete) message.resume();
    else message.destroy();
  };
  /** `letGo`, then waits until a drained answer's socket is back in the pool (the next hop may use it). */
  const discard = async (message: IncomingMessage) => {
    letGo(message);
    if (message.complete) await finished(message).catch(() => {});
  };

  /**
   * The answer's bytes read straight off the message (`read()` on 'readable', no async iterator per answer), under
   * the size cap and the silence cap. The web stream of the Response pulls from it; `readBodyCapped` and `bodyChunks`
   * read it without the web stream when nobody has touched that stream yet.
   */
  const source = (message: IncomingMessage, declared: number): BodySource => {
    let total = 0;
    let started = false;
    let done = false;
    let ended = false;
    let broke: unknown;
    let wake: (() => void) | undefined;
    const poke = () => {
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    const onEnd = () => {
      ended = true;
      poke();
    };
    const onError = (error: unknown) => {
      broke ??= error;
      poke();
    };
    const onClose = () => {
      if (!ended) broke ??= new Error("closed before its end");
      poke();
    };
    const detach = () => {
      message.off("readable", poke).off("end", onEnd).off("error", onError).off("close", onClose);
    };
    /** Ends the exchange: no timer, no listener, the message gone (after its end, its socket stays pooled). */
    const finish = () => {
      done = true;
      stopTimer();
      detach();
      message.destroy();
    };
    const read = async (): Promise<Uint8Array | undefined> => {
      if (!started) {
        started = true;
        message.on("readable", poke).on("end", onEnd).on("error", onError).on("close", onClose);
      }
      for (;;) {
        if (broke !== undefined || signal.aborted) throw broke ?? signal.reason;
        const chunk = message.read() as Buffer | null;
        if (chunk !== null) {
          total += chunk.length;
          if (options.maxBytes !== undefined && total > options.maxBytes) {
            throw new OutboundError("too_large", `larger than ${options.maxBytes} bytes`, options.maxBytes);
          }
          timer.refresh();
          return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        if (ended) {
          if (Number.isFinite(declared) && total !== declared) {
            throw new OutboundError("fetch_failed", "the response ended before its declared length");
          }
          return undefined;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    };
    return {
      async next() {
        if (done) return undefined;
        try {
          const chunk = await read();
          if (chunk === undefined) finish();
          return chunk;
        } catch (error) {
          finish();
          if (error instanceof OutboundError || signal.aborted) throw failure(error);
          throw new OutboundError("fetch_failed", "the connection broke before the whole body arrived");
        }
      },
      cancel() {
        if (done) return;
        // Cancelled unread (a webhook's answer, say): a short body that has all arrived keeps its socket.
        const unread = !started;
        done = true;
        stopTimer();
        detach();
        letGo(message);
        if (!unread) message.destroy();
      },
    };
  };

  const streamed = (message: IncomingMessage, declared: number) => {
    const body = source(message, declared);
    // Not ReadableStream.from: cancelling before the first read must still let go of the socket.
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const next = await body.next();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
        cancel() {
          body.cancel();
        },
      },
      { highWaterMark: 0 },
    );
    sources.set(stream, body);
    return stream;
  };

  const start = URL.parse(url.toString());
  if (!start) throw new OutboundError("invalid_url", "is not a valid URL");
  let current = start;
  let method = (options.method ?? "GET").toUpperCase();
  let headers: Record<string, string> = { "accept-encoding": "identity", ...headerRecord(options.headers) };
  let { bytes: body, type } = await encodedBody(options.body);
  if (type && !headers["content-type"]) headers["content-type"] = type;
  try {
    for (let redirects = 0; ; redirects++) {
      checkedUrl(current);
      const address = await allowedTarget(current);
      const message = await requestOnce(current, address, method, headers, body);
      const status = message.statusCode ?? 0;
      const location = message.headers.location;
      if (redirectStatuses.has(status) && location && maxRedirects > 0) {
        await discard(message);
        if (redirects >= maxRedirects) {
          throw new OutboundError("too_many_redirects", `redirected more than ${maxRedirects} times`, maxRedirects);
        }
        const next = URL.parse(location, current.href);
        if (!next) throw new OutboundError("fetch_failed", "the server redirected to an invalid URL");
        if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
          method = method === "HEAD" ? "HEAD" : "GET";
          body = undefined;
          headers = Object.fromEntries(
            Object.entries(headers).filter(([name]) => name !== "content-type" && name !== "content-length"),
          );
        }
        if (!sameOrigin(current, next)) {
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !credentialHeaders.includes(name)));
        }
        current = next;
        continue;
      }
      if (status < 200 || status > 599) {
        message.destroy();
        throw new OutboundError("fetch_failed", `the server answered HTTP ${status}`);
      }
      const declared = Number(message.headers["content-length"] ?? Number.NaN);
      if (options.maxBytes !== undefined && declared > options.maxBytes) {
        message.destroy();
        throw new OutboundError("too_large", `larger than ${options.maxBytes} bytes`, options.maxBytes);
      }
      const noBody = nullBodyStatuses.has(status) || method === "HEAD";
      if (noBody) {
        await discard(message);
        stopTimer();
      } else {
        // From here the cap is on each silence while the body streams.
        timer.refresh();
      }
      const response = new Response(noBody ? null : streamed(message, declared), {
        status,
        statusText: message.statusMessage ?? "",
        headers: responseHeaders(message),
      });
      Object.defineProperty(response, "url", { value: current.href });
      return response;
    }
  } catch (error) {
    stopTimer();
    throw failure(error);
  }
};

const ended = { done: true, value: undefined } as const;

/**
 * A body's chunks, in order. A body guardedFetch made is read straight from its source (no web-stream read, pull and
 * promise per chunk), with the same caps; it is locked first, so nothing else reads it. Any other body goes through
 * its reader. Leaving the loop early cancels the body.
 */
export const bodyChunks = (body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> => {
  const direct = body.locked ? undefined : sources.get(body);
  if (direct) {
    sources.delete(body);
    body.getReader();
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const value = await direct.next();
          return value === undefined ? ended : { done: false, value };
        },
        return: async () => {
          direct.cancel();
          return ended;
        },
      }),
    };
  }
  return {
    [Symbol.asyncIterator]: () => {
      const reader = body.getReader();
      return {
        next: async () => {
          const { done, value } = await reader.read();
          return done ? ended : { done: false, value };
        },
        return: async () => {
          await reader.cancel().catch(() => {});
          return ended;
        },
      };
    },
  };
};

/** Reads a fetch body up to `maxBytes`, cancelling it and failing with `too_large` as soon as it goes over. */
export const readBodyCapped = async (response: Response, maxBytes: number): Promise<Buffer> => {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new OutboundError("too_large", `larger than ${maxBytes} bytes`, maxBytes);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop by the throw cancels the body.
  for await (const value of bodyChunks(response.body)) {
    total += value.byteLength;
    if (total > maxBytes) throw new OutboundError("too_large", `larger than ${maxBytes} bytes`, maxBytes);
    chunks.push(value);
  }
  return total === 0
    ? Buffer.alloc(0)
    : chunks.length === 1
      ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, total)
      : Buffer.concat(chunks, total);
};
