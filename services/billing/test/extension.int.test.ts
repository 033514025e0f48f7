import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInCatalog, type TypedEnvelope } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { deciderSpec } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { type AccountEvent, accountSnapshot, evolveAccount, initialAccount } from "../src/domain/account.ts";
import { decideAccount, pricedSpec } from "../src/domain/decide.ts";
import { ledger } from "../src/handlers/ledger.ts";

/** SPEC §1.1 and §4: an extension is quoted and reserved on its own seconds, and its capture prices only those. */

const spec = deciderSpec({ initialState: initialAccount, evolve: evolveAccount, decide: decideAccount });
const opened: AccountEvent[] = [
  { type: "AccountOpened", data: { accountId: "acct_1", name: "Ada", balanceMicros: 0, reservedMicros: 0 } },
  {
    type: "FundsCredited",
    data: { amountMicros: 5_000_000, reference: "opening", balanceMicros: 5_000_000, reservedMicros: 0 },
  },
];

describe("an extension's price", () => {
  it("is of the reported total less the source's seconds; a report no longer than the source is charged the quote", () => {
    const reported = { model: "sora-2", seconds: "12", size: "720x1280" };
    expect(pricedSpec(reported, undefined)).toEqual(reported);
    expect(pricedSpec(reported, "8")).toEqual({ ...reported, seconds: "4" });
    expect(pricedSpec(reported, "12")).toBeUndefined();
    expect(pricedSpec({ ...reported, seconds: "" }, "8")).toBeUndefined();
  });

  it("the reservation records the source's seconds, and its end forgets them", () => {
    spec
      .given(opened)
      .when({ type: "ReserveFunds", videoId: "video_x", amountMicros: 400_000, sourceSeconds: "8" })
      .thenEmits([
        {
          type: "FundsReserved",
          data: {
            videoId: "video_x",
            amountMicros: 400_000,
            balanceMicros: 5_000_000,
            reservedMicros: 400_000,
            sourceSeconds: "8",
          },
        },
      ]);
    const reserved: AccountEvent = {
      type: "FundsReserved",
      data: {
        videoId: "video_x",
        amountMicros: 400_000,
        balanceMicros: 5_000_000,
        reservedMicros: 400_000,
        sourceSeconds: "8",
      },
    };
    const state = [...opened, reserved].reduce(evolveAccount, initialAccount());
    expect(state.extensions.get("video_x")).toBe("8");
    // A snapshot keeps it; one taken before extensions existed reads as none.
    expect(accountSnapshot.deserialize(accountSnapshot.serialize(state)).extensions.get("video_x")).toBe("8");
    const { extensions: _none, ...older } = accountSnapshot.serialize(state);
    expect(accountSnapshot.deserialize(older).extensions.size).toBe(0);
    const released = evolveAccount(state, {
      type: "ReservationReleased",
      data: { videoId: "video_x", amountMicros: 400_000, reason: "x", balanceMicros: 5_000_000, reservedMicros: 0 },
    });
    expect(released.extensions.has("video_x")).toBe(false);
  });
});

describe("billing an extension end to end on the ledger (real SQLite)", () => {
  const envelope = <T extends string>(type: T, data: object, id: string) =>
    ({
      id,
      type,
      schemaVersion: 1,
      stream: "x",
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: (data as { videoId: string }).videoId,
      causationId: null,
      accountId: "acct_1",
      data,
    }) as unknown as TypedEnvelope & { type: T };

  const setUp = async () => {
    const store = openSqliteEventStore(join(mkdtempSync(join(tmpdir(), "billing-")), "events.db"));
    const books = ledger({ store, catalog: builtInCatalog, now: () => new Date(), onAppended: () => undefined });
    await books.openAccount({ accountId: "acct_1", name: "Ada", creditsMicros: 5_000_000, commandId: "c1" });
    return { store, books };
  };
  const request = (videoId: string, extra: object) =>
    envelope(
      "VideoRequested",
      {
        videoId,
        accountId: "acct_1",
        model: "sora-2",
        seconds: "4",
        size: "720x1280",
        prompt: "p",
        quoteMicros: 400_000, // 4 s of sora-2 at 0.10
        remixedFromVideoId: null,
        inputReference: null,
        createdAt: 1,
        ...extra,
      },
      `req-${videoId}`,
    );
  const completed = (videoId: string, seconds: string) =>
    envelope(
      "JobCompleted",
      {
        videoId,
        channelId: "main",
        upstreamId: "up",
        model: "sora-2",
        seconds,
        size: "720x1280",
        variants: ["video"],
        completedAt: 2,
        expiresAt: null,
      },
      `done-${videoId}`,
    );
  const captured = async (store: ReturnType<typeof openSqliteEventStore>, videoId: string) =>
    (await store.readStream("account-acct_1")).find(
      (event) => event.type === "ReservationCaptured" && (event.data as { videoId: string }).videoId === videoId,
    )?.data as { amountMicros: number; quotedMicros: number; seconds: string; overageMicros?: number } | undefined;

  it("a 4 s extension of an 8 s video, reported as 12 s, is charged 4 s; a create reported as 12 s the quote", async () => {
    const { store, books } = await setUp();
    await books.onVideoRequested(
      request("video_ext", { operation: "extend", sourceVideoId: "video_src", sourceSeconds: "8" }),
    );
    await books.onJobCompleted(completed("video_ext", "12"));
    expect(await captured(store, "video_ext")).toMatchObject({
      amountMicros: 400_000,
      quotedMicros: 400_000,
      seconds: "12",
    });
    expect((await captured(store, "video_ext"))?.overageMicros).toBeUndefined();

    // The same report on a create is a longer video than quoted: the quote is the ceiling, the rest recorded.
    await books.onVideoRequested(request("video_new", {}));
    await books.onJobCompleted(completed("video_new", "12"));
    expect(await captured(store, "video_new")).toMatchObject({ amountMicros: 400_000, overageMicros: 800_000 });
  });

  it("never above the quote: an upstream that made a longer extension is charged the quote", async () => {
    const { store, books } = await setUp();
    await books.onVideoRequested(request("video_long", { operation: "extend", sourceSeconds: "4" }));
    await books.onJobCompleted(completed("video_long", "16"));
    expect(await captured(store, "video_long")).toMatchObject({ amountMicros: 400_000, overageMicros: 800_000 });
    // An 8 s extension (quoted 0.80) of a 4 s video that came back 8 s in all: charged the 4 s it added.
    await books.onVideoRequested(
      request("video_short", { operation: "extend", sourceSeconds: "4", seconds: "8", quoteMicros: 800_000 }),
    );
    await books.onJobCompleted(completed("video_short", "8"));
    expect(await captured(store, "video_short")).toMatchObject({ amountMicros: 400_000, quotedMicros: 800_000 });
    const account = await books.account("acct_1");
    expect(account).toMatchObject({ balanceMicros: 5_000_000 - 800_000, reservedMicros: 0 });
  });
});
