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
