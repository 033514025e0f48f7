/** Why an outbound fetch was refused or failed; callers map kinds onto their own answers. */
export type OutboundErrorKind =
  | "invalid_url"
  | "unsupported_scheme"
  | "blocked_address"
  | "host_not_allowed"
  | "too_many_redirects"
  | "too_large"
  | "timed_out"
  | "fetch_failed";

/**
 * A refused or failed outbound fetch. `reason` is a short fragment fit for a caller's own message ("loopback",
 * "the connection was refused", "ftp"); it never names a resolved address. `limit` is the limit that was hit.
 */
export class OutboundError extends Error {
  readonly kind: OutboundErrorKind;
  readonly reason: string;
  readonly limit: number | undefined;
  constructor(kind: OutboundErrorKind, reason: string, limit?: number) {
    super(
      kind === "fetch_failed" || kind === "timed_out"
        ? `outbound fetch failed: ${reason}`
        : `outbound fetch refused (${kind}): ${reason}`,
    );
    this.name = "OutboundError";
    this.kind = kind;
    this.reason = reason;
    this.limit = limit;
  }
}

export const isOutboundError = (error: unknown): error is OutboundError => error instanceof OutboundError;
