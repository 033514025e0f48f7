import {
  ConflictError,
  type DomainError,
  InsufficientFundsError,
  InvalidFieldError,
  NotFoundError,
  TooLargeError,
  UnavailableError,
} from "../domain/errors.ts";

/** A refusal as billing's and the notifier's RPC replies carry it (their wire format names a status). */
export interface RemoteRefusal {
  status: number;
  message: string;
  code?: string | null | undefined;
  param?: string | null | undefined;
}

/** Another service's refusal as the typed error it stands for, with the code and field it named. */
export const fromRemoteRefusal = (
  { status, message, code, param }: RemoteRefusal,
  fallbackCode: (status: number) => string | null,
): DomainError => {
  const text = param ? `Invalid '${param}': ${message}.` : message;
  const options = { code: code ?? fallbackCode(status), param: param ?? null };
  switch (status) {
    case 400:
      return new InvalidFieldError(text, options);
    case 402:
      return new InsufficientFundsError(text, options);
    case 404:
      return new NotFoundError(text, options);
    case 409:
      return new ConflictError(text, options);
    case 413:
      return new TooLargeError(text, options);
    default:
      return new UnavailableError(text, options);
  }
};
