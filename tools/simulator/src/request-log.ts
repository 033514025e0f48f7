import type { IncomingHttpHeaders } from "node:http";

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** One upstream request as the simulator saw it, for tests to assert on. */
export interface RecordedRequest {
  seq: number;
  /** The simulated channel it was addressed to (`/c/{channel}/…`), or "default". */
  channel: string;
  receivedAt: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** All headers, with credentials replaced by "[redacted]". */
  headers: Record<string, string>;
  /** Names of the form (or JSON) fields, in order; file parts are in `files`. */
  fields: string[];
  files: RecordedFile[];
  status?: number;
  /** The id of the job the request created, if it created one. */
  responseId?: string;
  /** A JSON body of the task shapes, as sent; strings longer than 256 characters (inline images) by their sha256. */
  body?: unknown;
}

const CREDENTIAL_HEADERS = new Set([
  "authorization",
  "api-key",
  "x-api-key",
  "x-goog-api-key",
  "proxy-authorization",
  "cookie",
]);

const redacted = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, CREDENTIAL_HEADERS.has(name) ? "[redacted]" : String(value)]),
  );

/** The requests received, in arrival order; an entry is filled in as its request is handled. */
export const createRequestLog = () => {
  let entries: RecordedRequest[] = [];
  let seq = 0;
  const byRequest = new WeakMap<object, RecordedRequest>();
  return {
    begin: (
      request: { method: string; url: string; headers: IncomingHttpHeaders },
      receivedAt: number,
      channel: string,
    ): RecordedRequest => {
      const url = new URL(request.url, "http://simulator");
      const entry: RecordedRequest = {
        seq: ++seq,
        channel,
        receivedAt,
        method: request.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: redacted(request.headers),
        fields: [],
        files: [],
      };
      entries.push(entry);
      byRequest.set(request, entry);
      return entry;
    },
    /** The entry `begin` made for this request, if it was recorded. */
    of: (request: object) => byRequest.get(request),
    list: (channel?: string): readonly RecordedRequest[] =>
      channel === undefined ? entries : entries.filter((entry) => entry.channel === channel),
    clear: () => {
      const cleared = entries.length;
      entries = [];
      return cleared;
    },
  };
};

export type RequestLog = ReturnType<typeof createRequestLog>;
