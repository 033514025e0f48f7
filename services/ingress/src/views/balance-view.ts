import type { TypedEnvelope } from "@reelgate/contracts";

/**
 * Billing's totals for one account as ingress last heard them: the newest account version's totals
 * win, and the name comes from AccountOpened whenever it arrives, so any order gives the same view.
 */
export interface BalanceView {
  id: string;
  name: string;
  version: number;
  balanceMicros: number;
  reservedMicros: number;
}

export const applyToBalanceView = (view: BalanceView | undefined, event: TypedEnvelope): BalanceView | undefined => {
  if (!event.stream.startsWith("account-") || !event.accountId) return undefined;
  const name = event.type === "AccountOpened" ? event.data.name : (view?.name ?? "");
  if (view && view.version >= event.version) return name === view.name ? undefined : { ...view, name };
  const data = event.data as { balanceMicros: number; reservedMicros: number };
  return {
    id: event.accountId,
    name,
    version: event.version,
    balanceMicros: data.balanceMicros,
    reservedMicros: data.reservedMicros,
  };
};

/** What a new create may still spend: billing's available funds less quotes billing has not answered yet. */
export const spendableMicros = (view: BalanceView | undefined, pendingQuotesMicros: number) =>
  view ? view.balanceMicros - view.reservedMicros - pendingQuotesMicros : 0;
