import { describe, expect, it } from "vitest";
import { formatUsd, parseUsd } from "../src/index.ts";

describe("money", () => {
  it.each([
    ["1.5", 1_500_000],
    ["0.000001", 1],
    ["-2", -2_000_000],
    [12.34, 12_340_000],
    ["100.000000", 100_000_000],
  ])("parses %s exactly", (text, micros) => {
    expect(parseUsd(text)).toBe(micros);
  });

  it.each(["1.0000001", "abc", "", "1e3", "--1"])("refuses %s", (text) => {
    expect(() => parseUsd(text)).toThrow(RangeError);
  });

  it.each([
    [1_500_000, "1.500000"],
    [1, "0.000001"],
    [-2_000_000, "-2.000000"],
    [0, "0.000000"],
  ])("formats %d as %s", (micros, text) => {
    expect(formatUsd(micros)).toBe(text);
  });
});
