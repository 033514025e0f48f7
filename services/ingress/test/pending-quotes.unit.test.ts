import { describe, expect, it } from "vitest";
import { pendingQuotesPerTurn } from "../src/application/pending-quotes.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("the pending-quote sum, once per turn", () => {
  it("is read once per account in a turn, and afresh in the next", async () => {
    const totals = new Map([
      ["acct_a", 100],
      ["acct_b", 7],
    ]);
    const reads: string[] = [];
    const pending = pendingQuotesPerTurn(async (accountId) => {
      reads.push(accountId);
      return totals.get(accountId) ?? 0;
    });
    const firstTurn = await Promise.all([pending("acct_a"), pending("acct_a"), pending("acct_b"), pending("acct_a")]);
    expect(firstTurn).toEqual([100, 100, 7, 100]);
    expect(reads).toEqual(["acct_a", "acct_b"]);

    // A quote recorded since: the next turn sees it.
    totals.set("acct_a", 250);
    await nextTurn();
    expect(await pending("acct_a")).toBe(250);
    expect(reads).toEqual(["acct_a", "acct_b", "acct_a"]);
  });

  it("does not keep a failed read: the next create asks again", async () => {
    let calls = 0;
    const pending = pendingQuotesPerTurn(async () => {
      calls++;
      if (calls === 1) throw new Error("store away");
      return 42;
    });
    await expect(pending("acct_a")).rejects.toThrow("store away");
    expect(await pending("acct_a")).toBe(42);
    expect(calls).toBe(2);
  });
});
