/**
 * Limits on what an upstream may hand us. Anything it says ends up in events, logs and client answers, so every
 * string is capped before it goes anywhere: one oversized message must never outgrow an event or the bus.
 */
export const upstreamLimits = {
  /** A message (error text, last words of a stream). */
  messageChars: 4096,
  /** An id, a model name, a status, a code. */
  idChars: 256,
  /** A JSON answer, read before it is parsed. */
  jsonBytes: 1024 * 1024,
  /** An error body, read to find its message. */
  errorBodyBytes: 64 * 1024,
} as const;

/** `text` cut to `max` characters (never inside a surrogate pair), marked as cut. */
export const truncate = (text: string, max: number = upstreamLimits.messageChars): string => {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Shapes of credentials whoever wrote the message may have echoed: bearer tokens and common key formats.
const credentialShapes = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(sk|rk|pk|key)-[A-Za-z0-9_-]{12,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  // Tokens made from the key: a JWT (Kling signs one with its secret) and a Google OAuth access token (Vertex).
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  /\bya29\.[0-9A-Za-z._-]{8,}/g,
];

export interface ScrubContext {
  /** The channel's secrets (api key, api secret): never shown to anyone. */
  secrets: readonly string[];
  /** The channel's base URL and host: where Reelgate's upstream lives stays ours. */
  baseUrl: string;
  /** Upstream ids (the upstream's video id): clients only ever see Reelgate's ids. */
  ids?: readonly string[];
}

/**
 * Upstream text fit to show: the channel's secrets, base URL and host and the upstream's ids replaced, credential
 * shapes replaced, and the result truncated. Applied to every upstream string that may reach a client or a log.
 */
export const scrubUpstreamText = (text: string, context: ScrubContext): string => {
  let scrubbed = truncate(text, upstreamLimits.messageChars * 4);
  const host = URL.parse(context.baseUrl)?.host;
  const replacements: Array<[string, string]> = [
    ...context.secrets.filter((secret) => secret.length >= 4).map((secret): [string, string] => [secret, "[redacted]"]),
    [context.baseUrl.replace(/\/+$/, ""), "[upstream]"],
    ...(host ? [[host, "[upstream]"] as [string, string]] : []),
    ...(context.ids ?? []).filter((id) => id.length >= 4).map((id): [string, string] => [id, "[upstream id]"]),
  ];
  // Longest first, so a URL is replaced whole before its host is.
  for (const [needle, replacement] of replacements.sort((a, b) => b[0].length - a[0].length)) {
    scrubbed = scrubbed.replace(new RegExp(escapeRegExp(needle), "gi"), replacement);
  }
  for (const shape of credentialShapes) scrubbed = scrubbed.replace(shape, "[redacted]");
  return truncate(scrubbed);
};
