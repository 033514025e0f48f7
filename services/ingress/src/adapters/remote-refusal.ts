import type { RefusalKind } from "@reelgate/contracts";
import {
  ConflictError,
  type DomainError,
  InsufficientFundsError,
  InvalidFieldError,
  NotFoundError,
  TooLargeError,
  UnavailableError,
} from "../domain/errors.ts";

/** A refusal as billing's and the notifier's RPC replies carry it: a kind of refusal, never an HTTP status. */
export interface RemoteRefusal {
  kind: RefusalKind;
  message: string;
  code?: string | null | undefined;
  param?: string | null | undefined;
}

const errorOf: Record<
  RefusalKind,
  new (
    message: string,
    options: { code: string | null; param: string | null },
  ) => DomainError
> = {
  invalid: InvalidFieldError,
  insufficient_funds: InsufficientFundsError,
  not_found: NotFoundError,
  conflict: ConflictError,
  too_large: TooLargeError,
  unavailable: UnavailableError,
};

/** Another service's refusal as the typed error it stands for, with the code and field it named. */
export const fromRemoteRefusal = (
  { kind, message, code, param }: RemoteRefusal,
  fallbackCode: (kind: RefusalKind) => string | null,
): DomainError => {
  const text = param ? `Invalid '${param}': ${message}.` : message;
  return new errorOf[kind](text, { code: code ?? fallbackCode(kind), param: param ?? null });
};
