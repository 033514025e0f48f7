/**
 * Refusals raised by the domain, the use cases and the adapters, typed by what went wrong, never by HTTP:
 * `http/error-handler.ts` alone turns each into a status and OpenAI's error shape. `code` and `param` are
 * what the client reads (`param` names the request field at fault).
 */
export class DomainError extends Error {
  override name = "DomainError";
  readonly code: string | null;
  readonly param: string | null;
  constructor(message: string, { code = null, param = null }: { code?: string | null; param?: string | null } = {}) {
    super(message);
    this.code = code;
    this.param = param;
  }
}

/** Nothing by that id that the caller may see (another account's is answered the same). */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
}

/** A field (or, with `param` null, the request as a whole) the rules refuse. */
export class InvalidFieldError extends DomainError {
  override name = "InvalidFieldError";
}

/** The account's spendable funds cannot cover the quote. */
export class InsufficientFundsError extends DomainError {
  override name = "InsufficientFundsError";
}

/** The model, or the channel that made the source, cannot do this operation. */
export class UnsupportedOperationError extends DomainError {
  override name = "UnsupportedOperationError";
}

/** The request contradicts what is recorded (a reference reused with another amount, say). */
export class ConflictError extends DomainError {
  override name = "ConflictError";
}

/** A body, file or image beyond its cap. */
export class TooLargeError extends DomainError {
  override name = "TooLargeError";
}

/** Bytes that are not of a type accepted there. */
export class UnsupportedMediaError extends DomainError {
  override name = "UnsupportedMediaError";
}

/** Too much at once, for the caller (`account`) or for this ingress (`service`): retry shortly. */
export class BusyError extends DomainError {
  override name = "BusyError";
  readonly scope: "account" | "service";
  constructor(message: string, scope: "account" | "service", options: { code?: string; param?: string } = {}) {
    super(message, options);
    this.scope = scope;
  }
}

/** Another part of Reelgate (billing, the notifier, an upstream) is not answering. */
export class UnavailableError extends DomainError {
  override name = "UnavailableError";
}

export const notFound = (what: string) => new NotFoundError(`No ${what} found.`, { code: "not_found" });

export const invalidField = (param: string, message: string, code = "invalid_value") =>
  new InvalidFieldError(message, { param, code });
