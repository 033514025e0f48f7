import { deciderSpec } from "@reelgate/testkit";
import { describe, it } from "vitest";
import { type AccountEvent, evolveAccount, initialAccount } from "../src/domain/account.ts";
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
});
