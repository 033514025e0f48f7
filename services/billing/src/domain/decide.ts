import { formatUsd, MAX_USD, type VideoSpec, withinMoneyBounds } from "@reelgate/contracts";
import { RuleError } from "@reelgate/runtime";
import { type AccountEvent, type AccountState, availableMicros } from "./account.ts";

export type AccountCommand =
  | { type: "OpenAccount"; accountId: string; name: string; creditsMicros: number }
  /** A top-up, or with a negative amount an adjustment. */
  | { type: "CreditFunds"; amountMicros: number; reference: string }
  /** `sourceSeconds`: the reservation is of an extension of a video this long (its capture does not charge them). */
  | { type: "ReserveFunds"; videoId: string; amountMicros: number; sourceSeconds?: string }
  /**
   * `priceMicros` undefined: the catalog does not sell what the upstream reported, so the quote is charged.
   * `chargeOverage` (the pricing file's `charge_overage`): a price above the quote is charged, up to what the
   * balance holds beyond other open reservations; otherwise the quote is the ceiling.
   */
  | {
      type: "CaptureReservation";
      videoId: string;
      priceMicros: number | undefined;
      reported: VideoSpec;
      chargeOverage?: boolean;
    }
  | { type: "ReleaseReservation"; videoId: string; reason: string };

/** A command the account's rules refuse (runtime's RuleError, under billing's own name). */
export class AccountRuleError extends RuleError {
  override name = "AccountRuleError";
}

/** SPEC.md §4: an amount, or the balance it leaves, beyond ±1,000,000,000 USD is refused whole. */
const assertInBounds = (micros: number, what: string, param: string) => {
  if (!withinMoneyBounds(micros))
    throw new AccountRuleError(`${what} must stay within ±${MAX_USD} USD`, "invalid", { code: "invalid_value", param });
};

/**
 * What a capture charges: the reported price, never above the quote unless `chargeOverage`; then never
 * more than the balance holds beyond the account's other open reservations, so the balance never goes
 * below zero nor below what the others need. `overageMicros`: what the report priced and was not charged.
 */
export const captureCharge = (
  { balanceMicros, reservedMicros }: { balanceMicros: number; reservedMicros: number },
  quotedMicros: number,
  priceMicros: number,
  chargeOverage: boolean,
) => {
  const room = Math.max(quotedMicros, balanceMicros - (reservedMicros - quotedMicros));
  const amountMicros = Math.min(priceMicros, chargeOverage ? room : quotedMicros);
  return { amountMicros, overageMicros: priceMicros - amountMicros };
};

/**
 * What a completion is priced on. An extension's upstream reports the stitched total, of which the source's seconds
 * were paid for already: only the rest is priced (and the quote stays the ceiling). A report no longer than the
 * source says nothing of what was added: undefined, so the quote is charged, as for a combination we do not sell.
 */
export const pricedSpec = (reported: VideoSpec, sourceSeconds: string | undefined): VideoSpec | undefined => {
  if (sourceSeconds === undefined) return reported;
  const added = Number(reported.seconds) - Number(sourceSeconds);
  return Number.isFinite(added) && added > 0 ? { ...reported, seconds: String(added) } : undefined;
};

/** The account's rules: what each command becomes, given the account as it stands. Pure. */
export const decideAccount = (command: AccountCommand, state: AccountState): AccountEvent[] => {
  const { balanceMicros, reservedMicros } = state;
  switch (command.type) {
    case "OpenAccount": {
      if (state.accountId)
        throw new AccountRuleError(`account ${command.accountId} already exists`, "conflict", {
          code: "account_exists",
        });
      const opened: AccountEvent = {
        type: "AccountOpened",
        data: { accountId: command.accountId, name: command.name, balanceMicros: 0, reservedMicros: 0 },
      };
      assertInBounds(command.creditsMicros, "the opening credits", "credits_usd");
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
      if (!state.accountId) throw new AccountRuleError("no such account", "not_found", { code: "not_found" });
      const { amountMicros, reference } = command;
      assertInBounds(amountMicros, "the amount", "amount_usd");
      const applied = state.references.get(reference);
      if (applied === amountMicros) return [];
      if (applied !== undefined)
        throw new AccountRuleError(
          `reference '${reference}' was already applied with a different amount (${formatUsd(applied)} USD)`,
          "conflict",
          { code: "reference_reused", param: "reference" },
        );
      if (amountMicros === 0)
        throw new AccountRuleError("the amount must not be zero", "invalid", {
          code: "invalid_value",
          param: "amount_usd",
        });
      const totals = { balanceMicros: balanceMicros + amountMicros, reservedMicros };
      assertInBounds(totals.balanceMicros, "the balance after it", "amount_usd");
      if (amountMicros > 0) return [{ type: "FundsCredited", data: { amountMicros, reference, ...totals } }];
      // An adjustment may take back what is free, never what open reservations hold.
      if (availableMicros(totals) < 0)
        throw new AccountRuleError(
          `an adjustment of ${formatUsd(amountMicros)} USD exceeds the available ${formatUsd(availableMicros(state))} USD`,
          "conflict",
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
          data: {
            videoId,
            amountMicros,
            balanceMicros,
            reservedMicros: reservedMicros + amountMicros,
            ...(command.sourceSeconds === undefined ? {} : { sourceSeconds: command.sourceSeconds }),
          },
        },
      ];
    }
    case "CaptureReservation": {
      const reserved = state.reservations.get(command.videoId);
      if (reserved === undefined) return [];
      const { amountMicros, overageMicros } = captureCharge(
        state,
        reserved,
        command.priceMicros ?? reserved,
        command.chargeOverage ?? false,
      );
      return [
        {
          type: "ReservationCaptured",
          data: {
            videoId: command.videoId,
            quotedMicros: reserved,
            amountMicros,
            ...(overageMicros > 0 ? { overageMicros } : {}),
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
