import { z } from "zod";

/** Money is integer micro-USD inside and a 6-place decimal string outside. */
export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

export const formatUsd = (micros: Micros): string => {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  return `${sign}${Math.trunc(abs / MICROS_PER_USD)}.${String(abs % MICROS_PER_USD).padStart(6, "0")}`;
};

/** Parses "1.5", "1.500000", 1.5 or -2 into micro-USD exactly (no float rounding on strings). */
export const parseUsd = (value: string | number): Micros => {
  const text = typeof value === "number" ? value.toFixed(6) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) throw new RangeError(`'${value}' is not a USD amount with at most 6 decimal places`);
  const [, sign, whole, fraction = ""] = match;
  const micros = Number(whole) * MICROS_PER_USD + Number(fraction.padEnd(6, "0"));
  if (!Number.isSafeInteger(micros)) throw new RangeError(`'${value}' is too large`);
  return sign === "-" ? -micros : micros;
};

/**
 * SPEC.md §4: amounts and balances stay within ±1,000,000,000 USD. 10^15 micro-USD is far below 2^53, so
 * every amount and every sum of two amounts in bounds is an exact integer in a JS number.
 */
export const MAX_USD = 1_000_000_000;
export const MAX_MICROS: Micros = MAX_USD * MICROS_PER_USD;

/** True when `micros` is a whole number of micro-USD within the bounds. */
export const withinMoneyBounds = (micros: number) => Number.isSafeInteger(micros) && Math.abs(micros) <= MAX_MICROS;

/** An amount in micro-USD as billing's commands carry it: an integer within ±MAX_MICROS. */
export const microsAmountSchema = z
  .number()
  .int()
  .refine(withinMoneyBounds, { message: `must be within ±${MAX_USD} USD` });

const usdAmountInput = z.union([
  z.string().regex(/^-?\d+(\.\d{1,6})?$/, 'expected a USD amount with at most 6 decimal places, e.g. "10.50"'),
  z.number().finite(),
]);

/**
 * A USD amount as clients send it ("10.50" or 10.5), as micro-USD within ±1,000,000,000 USD. The one
 * schema for amounts: ingress parses requests with it, billing's commands carry what it gives.
 */
export const usdAmountSchema = usdAmountInput.transform((value, context) => {
  let micros: Micros;
  try {
    micros = parseUsd(value);
  } catch (error) {
    context.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
  if (!withinMoneyBounds(micros)) {
    context.addIssue({ code: "custom", message: `must be within ±${MAX_USD} USD` });
    return z.NEVER;
  }
  return micros;
});
