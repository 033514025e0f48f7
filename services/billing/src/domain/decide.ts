import { formatUsd, type VideoSpec } from "@reelgate/contracts";
import { type AccountEvent, type AccountState, availableMicros } from "./account.ts";

export type AccountCommand =
  | { type: "OpenAccount"; accountId: string; name: string; creditsMicros: number }
  /** A top-up, or with a negative amount an adjustment. */
  | { type: "CreditFunds"; amountMicros: number; reference: string }
  | { type: "ReserveFunds"; videoId: string; amountMicros: number }
  /** `priceMicros` undefined: the catalog does not sell what the upstream reported, so the quote is charged. */
  | { type: "CaptureReservation"; videoId: string; priceMicros: number | undefined; reported: VideoSpec }
  | { type: "ReleaseReservation"; videoId: string; reason: string };

/** A command the account's rules refuse: the HTTP status it maps to, and a machine-readable code and field. */
export class AccountRuleError extends Error {
  override name = "AccountRuleError";
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
  constructor(message: string, status: number, { code, param = null }: { code: string; param?: string | null }) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

/** The account's rules: what each command becomes, given the account as it stands. Pure. */
export const decideAccount = (command: AccountCommand, state: AccountState): AccountEvent[] => {
  const { balanceMicros, reservedMicros } = state;
  switch (command.type) {
    case "OpenAccount": {
      if (state.accountId)
        throw new AccountRuleError(`account ${command.accountId} already exists`, 409, { code: "account_exists" });
      const opened: AccountEvent = {
        type: "AccountOpened",
        data: { accountId: command.accountId, name: command.name, balanceMicros: 0, reservedMicros: 0 },
      };
      if (command.creditsMicros <= 0) return [opened];
      return [
        opened,
        {
          type: "FundsCredited",
          data: {
            amountMicros: command.creditsMicros,
            reference: "opening",
            balanceMicros: command.creditsMicros,
            reservedMicros: 0,
          },
        },
      ];
    }
    case "CreditFunds": {
      if (!state.accountId) throw new AccountRuleError("no such account", 404, { code: "not_found" });
      const { amountMicros, reference } = command;
      const applied = state.references.get(reference);
      if (applied === amountMicros) return [];
      if (applied !== undefined)
        throw new AccountRuleError(
          `reference '${reference}' was already applied with a different amount (${formatUsd(applied)} USD)`,
          409,
          { code: "reference_reused", param: "reference" },
        );
      if (amountMicros === 0)
        throw new AccountRuleError("the amount must not be zero", 400, { code: "invalid_value", param: "amount_usd" });
      const totals = { balanceMicros: balanceMicros + amountMicros, reservedMicros };
      if (amountMicros > 0) return [{ type: "FundsCredited", data: { amountMicros, reference, ...totals } }];
      // An adjustment may take back what is free, never what open reservations hold.
      if (availableMicros(totals) < 0)
        throw new AccountRuleError(
          `an adjustment of ${formatUsd(amountMicros)} USD exceeds the available ${formatUsd(availableMicros(state))} USD`,
          409,
          { code: "insufficient_funds", param: "amount_usd" },
        );
      return [{ type: "FundsAdjusted", data: { amountMicros, reference, ...totals } }];
    }
    case "ReserveFunds": {
      if (state.reservations.has(command.videoId)) return [];
      const { videoId, amountMicros } = command;
      if (!state.accountId || availableMicros(state) < amountMicros) {
        const reason = state.accountId ? "insufficient_quota" : "unknown_account";
        return [
          { type: "ReservationRejected", data: { videoId, amountMicros, reason, balanceMicros, reservedMicros } },
        ];
      }
      return [
        {
          type: "FundsReserved",
          data: { videoId, amountMicros, balanceMicros, reservedMicros: reservedMicros + amountMicros },
        },
      ];
    }
    case "CaptureReservation": {
      const reserved = state.reservations.get(command.videoId);
      if (reserved === undefined) return [];
      const amountMicros = command.priceMicros ?? reserved;
      return [
        {
          type: "ReservationCaptured",
          data: {
            videoId: command.videoId,
            quotedMicros: reserved,
            amountMicros,
            ...command.reported,
            balanceMicros: balanceMicros - amountMicros,
            reservedMicros: reservedMicros - reserved,
          },
        },
      ];
    }
    case "ReleaseReservation": {
      const reserved = state.reservations.get(command.videoId);
      if (reserved === undefined) return [];
      return [
        {
          type: "ReservationReleased",
          data: {
            videoId: command.videoId,
            amountMicros: reserved,
            reason: command.reason,
            balanceMicros,
            reservedMicros: reservedMicros - reserved,
          },
        },
      ];
    }
  }
};
