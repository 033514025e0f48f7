import { type Envelope, formatUsd, type LedgerEntry } from "@reelgate/contracts";

const text = (value: unknown) => (typeof value === "string" ? value : null);
const usd = (value: unknown) => (typeof value === "number" && Number.isSafeInteger(value) ? formatUsd(value) : null);

/**
 * One billing event as auditors read it. Fields an event type does not carry are null; every
 * billing event carries the account's totals after it, which become balance_usd / reserved_usd.
 */
export const toLedgerEntry = (event: Envelope): LedgerEntry => {
  const data = (event.data ?? {}) as Record<string, unknown>;
  return {
    id: event.id,
    object: "ledger.entry",
    version: event.version,
    type: event.type,
    occurred_at: event.occurredAt,
    video_id: text(data.videoId),
    amount_usd: usd(data.amountMicros),
    quoted_usd: usd(data.quotedMicros),
    overage_usd: usd(data.overageMicros),
    reference: text(data.reference),
    reason: text(data.reason),
    balance_usd: usd(data.balanceMicros) ?? formatUsd(0),
    reserved_usd: usd(data.reservedMicros) ?? formatUsd(0),
  };
};
