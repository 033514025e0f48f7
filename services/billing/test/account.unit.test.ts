import { deciderSpec } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { type AccountEvent, accountSnapshot, evolveAccount, initialAccount } from "../src/domain/account.ts";
import { AccountRuleError, decideAccount } from "../src/domain/decide.ts";

const spec = deciderSpec({ initialState: initialAccount, evolve: evolveAccount, decide: decideAccount });
const opened = (credits: number): AccountEvent[] => [
  { type: "AccountOpened", data: { accountId: "acct_1", name: "Ada", balanceMicros: 0, reservedMicros: 0 } },
  {
    type: "FundsCredited",
    data: { amountMicros: credits, reference: "opening", balanceMicros: credits, reservedMicros: 0 },
  },
];
const reserved = (videoId: string, amount: number, balance: number, reservedAfter: number): AccountEvent => ({
  type: "FundsReserved",
  data: { videoId, amountMicros: amount, balanceMicros: balance, reservedMicros: reservedAfter },
});
const spec8s = { model: "sora-2", seconds: "8", size: "720x1280" };

describe("account decider", () => {
  it("opens an account with its opening credits", () =>
    spec
      .given([])
      .when({ type: "OpenAccount", accountId: "acct_1", name: "Ada", creditsMicros: 5_000_000 })
      .thenEmits(opened(5_000_000)));

  it("opens an account without credits with no credit event", () =>
    spec
      .given([])
      .when({ type: "OpenAccount", accountId: "acct_1", name: "Ada", creditsMicros: 0 })
      .thenEmits([
        { type: "AccountOpened", data: { accountId: "acct_1", name: "Ada", balanceMicros: 0, reservedMicros: 0 } },
      ]));

  it("refuses to open an account twice", () =>
    spec
      .given(opened(1))
      .when({ type: "OpenAccount", accountId: "acct_1", name: "Ada", creditsMicros: 0 })
      .thenThrows(AccountRuleError, /already exists/));

  it("reserves the quote when the available balance covers it", () =>
    spec
      .given(opened(1_000_000))
      .when({ type: "ReserveFunds", videoId: "video_a", amountMicros: 800_000 })
      .thenEmits([reserved("video_a", 800_000, 1_000_000, 800_000)]));

  it("rejects a reservation the available balance cannot cover, counting open reservations", () =>
    spec
      .given([...opened(1_000_000), reserved("video_a", 800_000, 1_000_000, 800_000)])
      .when({ type: "ReserveFunds", videoId: "video_b", amountMicros: 400_000 })
      .thenEmits([
        {
          type: "ReservationRejected",
          data: {
            videoId: "video_b",
            amountMicros: 400_000,
            reason: "insufficient_quota",
            balanceMicros: 1_000_000,
            reservedMicros: 800_000,
          },
        },
      ]));

  it("reserves a video once", () =>
    spec
      .given([...opened(1_000_000), reserved("video_a", 800_000, 1_000_000, 800_000)])
      .when({ type: "ReserveFunds", videoId: "video_a", amountMicros: 800_000 })
      .thenNothingHappened());

  it("captures the price the upstream reported, recording the reserved quote beside it", () =>
    spec
      .given([...opened(2_000_000), reserved("video_a", 800_000, 2_000_000, 800_000)])
      .when({
        type: "CaptureReservation",
        videoId: "video_a",
        priceMicros: 400_000,
        reported: { ...spec8s, seconds: "4" },
      })
      .thenEmits([
        {
          type: "ReservationCaptured",
          data: {
            videoId: "video_a",
            quotedMicros: 800_000,
            amountMicros: 400_000,
            ...spec8s,
            seconds: "4",
            balanceMicros: 1_600_000,
            reservedMicros: 0,
          },
        },
      ]));

  it("releases a reservation in full", () =>
    spec
      .given([...opened(1_000_000), reserved("video_a", 800_000, 1_000_000, 800_000)])
      .when({ type: "ReleaseReservation", videoId: "video_a", reason: "upstream failed" })
      .thenEmits([
        {
          type: "ReservationReleased",
          data: {
            videoId: "video_a",
            amountMicros: 800_000,
            reason: "upstream failed",
            balanceMicros: 1_000_000,
            reservedMicros: 0,
          },
        },
      ]));

  it("never settles a reservation twice", () => {
    const captured: AccountEvent = {
      type: "ReservationCaptured",
      data: {
        videoId: "video_a",
        quotedMicros: 800_000,
        amountMicros: 800_000,
        ...spec8s,
        balanceMicros: 200_000,
        reservedMicros: 0,
      },
    };
    const history = [...opened(1_000_000), reserved("video_a", 800_000, 1_000_000, 800_000), captured];
    spec
      .given(history)
      .when({ type: "CaptureReservation", videoId: "video_a", priceMicros: 1, reported: spec8s })
      .thenNothingHappened();
    spec
      .given(history)
      .when({ type: "ReleaseReservation", videoId: "video_a", reason: "late failure" })
      .thenNothingHappened();
  });

  it("ignores settling a video that was never reserved", () =>
    spec
      .given(opened(1))
      .when({ type: "ReleaseReservation", videoId: "video_x", reason: "failed" })
      .thenNothingHappened());

  it("credits a top-up on top of the balance", () =>
    spec
      .given(opened(1_000_000))
      .when({ type: "CreditFunds", amountMicros: 500_000, reference: "inv-1" })
      .thenEmits([
        {
          type: "FundsCredited",
          data: { amountMicros: 500_000, reference: "inv-1", balanceMicros: 1_500_000, reservedMicros: 0 },
        },
      ]));

  it("applies a top-up repeated with the same reference once", () =>
    spec
      .given([
        ...opened(1_000_000),
        {
          type: "FundsCredited",
          data: { amountMicros: 500_000, reference: "inv-1", balanceMicros: 1_500_000, reservedMicros: 0 },
        },
      ])
      .when({ type: "CreditFunds", amountMicros: 500_000, reference: "inv-1" })
      .thenNothingHappened());

  it("refuses a reference applied before with another amount", () =>
    spec
      .given([
        ...opened(1_000_000),
        {
          type: "FundsCredited",
          data: { amountMicros: 500_000, reference: "inv-1", balanceMicros: 1_500_000, reservedMicros: 0 },
        },
      ])
      .when({ type: "CreditFunds", amountMicros: 700_000, reference: "inv-1" })
      .thenThrows(AccountRuleError, /already applied with a different amount \(0\.500000 USD\)/));

  it("treats the opening credits as applied under the reference 'opening'", () =>
    spec
      .given(opened(1_000_000))
      .when({ type: "CreditFunds", amountMicros: 1_000_000, reference: "opening" })
      .thenNothingHappened());

  it("adjusts with a negative amount, down to what open reservations leave free", () =>
    spec
      .given([...opened(1_000_000), reserved("video_a", 400_000, 1_000_000, 400_000)])
      .when({ type: "CreditFunds", amountMicros: -600_000, reference: "refund-7" })
      .thenEmits([
        {
          type: "FundsAdjusted",
          data: { amountMicros: -600_000, reference: "refund-7", balanceMicros: 400_000, reservedMicros: 400_000 },
        },
      ]));

  it("refuses an adjustment that would take money open reservations hold", () =>
    spec
      .given([...opened(1_000_000), reserved("video_a", 400_000, 1_000_000, 400_000)])
      .when({ type: "CreditFunds", amountMicros: -600_001, reference: "refund-8" })
      .thenThrows(AccountRuleError, /exceeds the available 0\.600000 USD/));

  it("refuses a zero amount and credits to an account that does not exist", () => {
    spec.given(opened(1)).when({ type: "CreditFunds", amountMicros: 0, reference: "x" }).thenThrows(AccountRuleError);
    spec
      .given([])
      .when({ type: "CreditFunds", amountMicros: 5, reference: "x" })
      .thenThrows(AccountRuleError, /no such account/);
  });

  it("rejects a reservation on an account that does not exist", () =>
    spec
      .given([])
      .when({ type: "ReserveFunds", videoId: "video_a", amountMicros: 1 })
      .thenEmits([
        {
          type: "ReservationRejected",
          data: { videoId: "video_a", amountMicros: 1, reason: "unknown_account", balanceMicros: 0, reservedMicros: 0 },
        },
      ]));

  it("reserves exactly the available balance, and rejects the next micro-dollar", () => {
    spec
      .given(opened(800_000))
      .when({ type: "ReserveFunds", videoId: "video_a", amountMicros: 800_000 })
      .thenEmits([reserved("video_a", 800_000, 800_000, 800_000)]);
    spec
      .given([...opened(800_000), reserved("video_a", 800_000, 800_000, 800_000)])
      .when({ type: "ReserveFunds", videoId: "video_b", amountMicros: 1 })
      .thenEmits([
        {
          type: "ReservationRejected",
          data: {
            videoId: "video_b",
            amountMicros: 1,
            reason: "insufficient_quota",
            balanceMicros: 800_000,
            reservedMicros: 800_000,
          },
        },
      ]);
  });

  it("never captures more than the quote by default: a longer video is charged the quote, the overage recorded", () =>
    spec
      .given([...opened(2_000_000), reserved("video_a", 400_000, 2_000_000, 400_000)])
      .when({ type: "CaptureReservation", videoId: "video_a", priceMicros: 800_000, reported: spec8s })
      .thenEmits([
        {
          type: "ReservationCaptured",
          data: {
            videoId: "video_a",
            quotedMicros: 400_000,
            amountMicros: 400_000,
            overageMicros: 400_000,
            ...spec8s,
            balanceMicros: 1_600_000,
            reservedMicros: 0,
          },
        },
      ]));

  it("charges the reported price above the quote with charge_overage, when the balance covers it", () =>
    spec
      .given([...opened(2_000_000), reserved("video_a", 400_000, 2_000_000, 400_000)])
      .when({
        type: "CaptureReservation",
        videoId: "video_a",
        priceMicros: 800_000,
        reported: spec8s,
        chargeOverage: true,
      })
      .thenEmits([
        {
          type: "ReservationCaptured",
          data: {
            videoId: "video_a",
            quotedMicros: 400_000,
            amountMicros: 800_000,
            ...spec8s,
            balanceMicros: 1_200_000,
            reservedMicros: 0,
          },
        },
      ]));

  it("with charge_overage, charges only what the balance holds beyond other open reservations, never below zero", () => {
    // Quoted 1.20, reported 3.60 (12 s for 4 s): the balance of 2.00 holds 1.20 for this video and 0.30 for another.
    const history = [
      ...opened(2_000_000),
      reserved("video_a", 1_200_000, 2_000_000, 1_200_000),
      reserved("video_b", 300_000, 2_000_000, 1_500_000),
    ];
    spec
      .given(history)
      .when({
        type: "CaptureReservation",
        videoId: "video_a",
        priceMicros: 3_600_000,
        reported: spec8s,
        chargeOverage: true,
      })
      .thenEmits([
        {
          type: "ReservationCaptured",
          data: {
            videoId: "video_a",
            quotedMicros: 1_200_000,
            amountMicros: 1_700_000,
            overageMicros: 1_900_000,
            ...spec8s,
            balanceMicros: 300_000,
            reservedMicros: 300_000,
          },
        },
      ]);
    // The account's last money: the whole balance, down to zero and no further.
    spec
      .given([...opened(1_200_000), reserved("video_a", 1_200_000, 1_200_000, 1_200_000)])
      .when({
        type: "CaptureReservation",
        videoId: "video_a",
        priceMicros: 3_600_000,
        reported: spec8s,
        chargeOverage: true,
      })
      .thenEmits([
        {
          type: "ReservationCaptured",
          data: {
            videoId: "video_a",
            quotedMicros: 1_200_000,
            amountMicros: 1_200_000,
            overageMicros: 2_400_000,
            ...spec8s,
            balanceMicros: 0,
            reservedMicros: 0,
          },
        },
      ]);
  });

  it("refuses credits and adjustments past ±1,000,000,000 USD, or leaving the balance past it, whole", () => {
    const billion = 1_000_000_000_000_000;
    spec
      .given(opened(1))
      .when({ type: "CreditFunds", amountMicros: billion + 1, reference: "huge" })
      .thenThrows(AccountRuleError, /within ±1000000000 USD/);
    spec
      .given(opened(1))
      .when({ type: "CreditFunds", amountMicros: 2 ** 53, reference: "unsafe" })
      .thenThrows(AccountRuleError, /within ±1000000000 USD/);
    spec
      .given(opened(1))
      .when({ type: "CreditFunds", amountMicros: billion, reference: "one-too-many" })
      .thenThrows(AccountRuleError, /the balance after it must stay within/);
    spec
      .given([])
      .when({ type: "OpenAccount", accountId: "acct_1", name: "Ada", creditsMicros: billion + 1 })
      .thenThrows(AccountRuleError, /opening credits/);
    // Exactly the bound is allowed.
    spec
      .given(opened(0))
      .when({ type: "CreditFunds", amountMicros: billion, reference: "all" })
      .thenEmits([
        {
          type: "FundsCredited",
          data: { amountMicros: billion, reference: "all", balanceMicros: billion, reservedMicros: 0 },
        },
      ]);
    try {
      decideAccount(
        { type: "CreditFunds", amountMicros: billion + 1, reference: "x" },
        { ...initialAccount(), accountId: "acct_1" },
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ kind: "invalid", code: "invalid_value", param: "amount_usd" });
    }
  });

  it("charges the quote when the catalog does not sell what the upstream reported", () =>
    spec
      .given([...opened(2_000_000), reserved("video_a", 400_000, 2_000_000, 400_000)])
      .when({
        type: "CaptureReservation",
        videoId: "video_a",
        priceMicros: undefined,
        reported: { ...spec8s, size: "999x999" },
      })
      .thenEmits([
        {
          type: "ReservationCaptured",
          data: {
            videoId: "video_a",
            quotedMicros: 400_000,
            amountMicros: 400_000,
            ...spec8s,
            size: "999x999",
            balanceMicros: 1_600_000,
            reservedMicros: 0,
          },
        },
      ]));

  it("releases in full after a timeout, leaving other reservations open", () =>
    spec
      .given([
        ...opened(2_000_000),
        reserved("video_a", 800_000, 2_000_000, 800_000),
        reserved("video_b", 400_000, 2_000_000, 1_200_000),
      ])
      .when({ type: "ReleaseReservation", videoId: "video_a", reason: "timeout: no terminal state after 7200 s" })
      .thenEmits([
        {
          type: "ReservationReleased",
          data: {
            videoId: "video_a",
            amountMicros: 800_000,
            reason: "timeout: no terminal state after 7200 s",
            balanceMicros: 2_000_000,
            reservedMicros: 400_000,
          },
        },
      ]));

  it("never settles a rejected reservation", () => {
    const rejected: AccountEvent = {
      type: "ReservationRejected",
      data: { videoId: "video_a", amountMicros: 9, reason: "insufficient_quota", balanceMicros: 0, reservedMicros: 0 },
    };
    spec
      .given([...opened(0), rejected])
      .when({ type: "CaptureReservation", videoId: "video_a", priceMicros: 9, reported: spec8s })
      .thenNothingHappened();
  });
});

describe("account totals", () => {
  it("are a pure function of the amounts: a snapshot round-trips to the same state", () => {
    const history: AccountEvent[] = [
      ...opened(3_000_000),
      reserved("video_a", 800_000, 3_000_000, 800_000),
      reserved("video_b", 400_000, 3_000_000, 1_200_000),
      {
        type: "ReservationCaptured",
        data: {
          videoId: "video_a",
          quotedMicros: 800_000,
          amountMicros: 400_000,
          ...spec8s,
          seconds: "4",
          balanceMicros: 2_600_000,
          reservedMicros: 400_000,
        },
      },
      {
        type: "FundsAdjusted",
        data: { amountMicros: -100_000, reference: "fix", balanceMicros: 2_500_000, reservedMicros: 400_000 },
      },
    ];
    const state = history.reduce(evolveAccount, initialAccount());
    expect({ balance: state.balanceMicros, reserved: state.reservedMicros }).toEqual({
      balance: 2_500_000,
      reserved: 400_000,
    });
    expect([...state.reservations]).toEqual([["video_b", 400_000]]);
    expect(accountSnapshot.deserialize(JSON.parse(JSON.stringify(accountSnapshot.serialize(state))))).toEqual(state);
  });
});
