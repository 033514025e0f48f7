import { isDeepStrictEqual } from "node:util";
import type { TypedEnvelope } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import { applyToBalanceView, type BalanceView } from "../src/views/balance-view.ts";
import { toVideoObject } from "../src/views/video-object.ts";
import { applyToVideoView, isRequested, type VideoDocument, type VideoView } from "../src/views/video-view.ts";

const videoId = "video_1";
let n = 0;
const envelope = (stream: string, version: number, type: string, data: object): TypedEnvelope =>
  ({
    id: `evt_${++n}`,
    type,
    schemaVersion: 1,
    stream,
    version,
    occurredAt: "2026-01-01T00:00:00Z",
    correlationId: videoId,
    causationId: null,
    accountId: "acct_1",
    data,
  }) as TypedEnvelope;

const requested = envelope(`task-${videoId}`, 1, "VideoRequested", {
  videoId,
  accountId: "acct_1",
  model: "sora-2",
  seconds: "4",
  size: "720x1280",
  prompt: "a cat",
  quoteMicros: 400_000,
  remixedFromVideoId: null,
  inputReference: null,
  createdAt: 1_700_000_000,
});
const history: TypedEnvelope[] = [
  requested,
  envelope("account-acct_1", 3, "FundsReserved", {
    videoId,
    amountMicros: 400_000,
    balanceMicros: 1_000_000,
    reservedMicros: 400_000,
  }),
  envelope(`job-${videoId}`, 2, "JobSubmitted", { videoId, channelId: "c", upstreamId: "u", submittedAt: 1 }),
  envelope(`job-${videoId}`, 3, "JobProgressed", { videoId, progress: 40 }),
  envelope(`job-${videoId}`, 4, "JobCompleted", {
    videoId,
    channelId: "c",
    upstreamId: "u",
    model: "sora-2",
    seconds: "4",
    size: "720x1280",
    variants: ["video"],
    completedAt: 1_700_000_100,
    expiresAt: null,
  }),
  envelope("account-acct_1", 7, "ReservationCaptured", {
    videoId,
    quotedMicros: 400_000,
    amountMicros: 400_000,
    model: "sora-2",
    seconds: "4",
    size: "720x1280",
    balanceMicros: 600_000,
    reservedMicros: 0,
  }),
  envelope(`asset-${videoId}`, 1, "MediaStored", {
    videoId,
    variant: "video",
    key: "k",
    bytes: 10,
    sha256: "a".repeat(64),
    contentType: "video/mp4",
  }),
];

const project = (events: TypedEnvelope[]) => {
  let view: VideoDocument | undefined;
  for (const event of events) view = applyToVideoView(view, event) ?? view;
  return view;
};

/** The document as the API serves it: only once its request is in. */
const served = (doc: VideoDocument | undefined): VideoView => {
  if (!doc || !isRequested(doc)) throw new Error(`not served: ${JSON.stringify(doc)}`);
  return doc;
};

/** The first order whose document differs from `expected` (with both), or undefined: one assertion for thousands of orders. */
const firstDiffering = (orders: TypedEnvelope[][], expected: unknown) => {
  for (const order of orders) {
    const got = project(order);
    if (!isDeepStrictEqual(got, expected)) return { order: order.map((event) => event.type), got, expected };
  }
  return undefined;
};

const permutations = <T>(items: T[]): T[][] =>
  items.length <= 1
    ? [items]
    : items.flatMap((item, i) =>
        permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
      );

describe("task read model", () => {
  it("ends completed with the stored media, whatever order the other streams' events arrive in", () => {
    const inOrder = project(history);
    expect(toVideoObject(served(inOrder))).toMatchObject({
      status: "completed",
      progress: 100,
      completed_at: 1_700_000_100,
    });
    for (const order of permutations(history.slice(1))) {
      expect(project([requested, ...order])).toEqual(inOrder);
    }
  });

  describe("every ordering of a whole video's events, the request included", () => {
    const progressed70 = envelope(`job-${videoId}`, 4, "JobProgressed", { videoId, progress: 70 });
    const completed = { ...history[4]!, version: 5 } as TypedEnvelope;
    const queued = envelope(`job-${videoId}`, 1, "JobQueued", {
      videoId,
      accountId: "acct_1",
      model: "sora-2",
      seconds: "4",
      size: "720x1280",
      prompt: "a cat",
      remixedFromVideoId: null,
      inputReference: null,
    });
    // 8 events: 40,320 orders. JobQueued is not shown but must not disturb anything either.
    const whole = [requested, history[1]!, history[2]!, history[3]!, progressed70, completed, history[5]!, history[6]!];
    const expected = project(whole);
    const orders = permutations(whole);

    it("the same document in every order", () => {
      expect(orders).toHaveLength(40_320);
      expect(toVideoObject(served(expected))).toMatchObject({ status: "completed", progress: 100 });
      expect(firstDiffering(orders, expected)).toBeUndefined();
      expect(project([queued, ...whole])).toEqual(expected);
    });

    it("the same document with repeats anywhere (redeliveries, republished copies)", () => {
      let seed = 7;
      const random = (below: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % below;
      };
      const deliveries = orders.map((order) => {
        const delivered = [...order];
        for (let copies = 0; copies < 4; copies++)
          delivered.splice(random(delivered.length + 1), 0, whole[random(whole.length)]!);
        return delivered;
      });
      expect(firstDiffering(deliveries, expected)).toBeUndefined();
    });

    it("the request held back behind everything else (a long delay): never served before it, right after it", () => {
      const withoutRequest = permutations(whole.slice(1));
      const shown = withoutRequest.map(project).filter((doc) => !doc || isRequested(doc));
      expect(shown).toEqual([]);
      // Nothing is summed for the balance check and nothing is listed before the request.
      const unowned = withoutRequest.map(project).filter((doc) => doc?.accountId !== null || doc.pendingQuoteMicros);
      expect(unowned).toEqual([]);
      expect(
        firstDiffering(
          withoutRequest.map((order) => [...order, requested]),
          expected,
        ),
      ).toBeUndefined();
    });

    it("the quote is pending exactly while the request is in and billing has not answered", () => {
      const wrong: string[][] = [];
      for (const order of orders) {
        let doc: VideoDocument | undefined;
        const seen = new Set<string>();
        for (const event of order) {
          doc = applyToVideoView(doc, event) ?? doc;
          seen.add(event.type);
          const pending = seen.has("VideoRequested") && !seen.has("FundsReserved") && !seen.has("ReservationCaptured");
          if ((doc?.pendingQuoteMicros ?? null) !== (pending ? 400_000 : null)) wrong.push([...seen]);
        }
      }
      expect(wrong).toEqual([]);
    });

    it("a deleted video ends deleted with its media gone, in any order", () => {
      const deleted = envelope(`task-${videoId}`, 2, "VideoDeleted", { videoId, accountId: "acct_1", deletedAt: 5 });
      const mediaDeleted = envelope(`asset-${videoId}`, 2, "MediaDeleted", { videoId, keys: ["k"], reason: "owner" });
      const events = [requested, deleted, history[1]!, history[2]!, history[4]!, history[6]!, mediaDeleted];
      const reference = project(events)!;
      expect(reference).toMatchObject({ deleted: true, mediaDeleted: { reason: "owner" } });
      expect(firstDiffering(permutations(events), reference)).toBeUndefined();
    });
  });

  it("does not start a document from an event that sets nothing in it", () => {
    const submitFailed = envelope(`job-${videoId}`, 2, "SubmitAttemptFailed", {
      videoId,
      channelId: "c",
      attempt: 1,
      status: 500,
      message: "x",
      retryAfterMs: null,
      failedAt: 1,
    });
    expect(applyToVideoView(undefined, submitFailed)).toBeUndefined();
  });

  it("ignores a redelivered older event", () => {
    const done = project(history)!;
    expect(applyToVideoView(done, history[3]!)).toBeUndefined();
  });

  it("shows in_progress at 99 while the media is being copied", () => {
    const view = project(history.slice(0, 5))!;
    expect(toVideoObject(served(view))).toMatchObject({ status: "in_progress", progress: 99 });
  });

  it("is failed with the upstream's reason when the job failed", () => {
    const failed = envelope(`job-${videoId}`, 3, "JobFailed", {
      videoId,
      code: "content_policy_violation",
      message: "no",
      failedAt: 2,
    });
    expect(toVideoObject(served(project([requested, history[2]!, failed])))).toMatchObject({
      status: "failed",
      error: { code: "content_policy_violation", message: "no" },
    });
  });

  it("becomes completed when the upstream finishes after the poller gave up", () => {
    const timedOut = envelope(`job-${videoId}`, 3, "JobFailed", {
      videoId,
      code: "timeout",
      message: "late",
      failedAt: 2,
    });
    const late = envelope(`job-${videoId}`, 4, "JobCompletedLate", {
      videoId,
      channelId: "c",
      upstreamId: "u",
      model: "sora-2",
      seconds: "4",
      size: "720x1280",
      variants: ["video"],
      completedAt: 1_700_000_900,
      expiresAt: null,
    });
    const stored = history.at(-1)!;
    for (const order of permutations([timedOut, late, stored])) {
      expect(toVideoObject(served(project([requested, history[2]!, ...order])))).toMatchObject({
        status: "completed",
        error: null,
        completed_at: 1_700_000_900,
      });
    }
  });

  it("is queued until the job is submitted, with the quote pending until billing answers", () => {
    const view = project([requested])!;
    expect(toVideoObject(served(view))).toMatchObject({ status: "queued", progress: 0, seconds: "4", error: null });
    expect(view.pendingQuoteMicros).toBe(400_000);
    expect(project(history.slice(0, 2))!.pendingQuoteMicros).toBeNull();
  });

  describe("when the media counts as settled", () => {
    const completed = history[4]!;
    const assetEvent = (version: number, type: string, data: object) =>
      envelope(`asset-${videoId}`, version, type, { videoId, ...data });
    const thumbnail = assetEvent(1, "MediaStored", {
      variant: "thumbnail",
      key: "t",
      bytes: 5,
      sha256: "b".repeat(64),
      contentType: "image/png",
    });
    const retained = assetEvent(2, "MediaDeleted", { keys: ["t"], reason: "retention: settled more than 1 days ago" });
    const videoFailed = assetEvent(2, "MediaStorageFailed", {
      variant: "video",
      reason: "broken",
      fallback: { channelId: "c", upstreamId: "u", expiresAt: null },
    });
    const statusAfter = (events: TypedEnvelope[]) => toVideoObject(served(project([requested, ...events])));

    it("a thumbnail stored while the video is pending does not settle it: in_progress at 99", () => {
      expect(statusAfter([history[2]!, completed, thumbnail])).toMatchObject({ status: "in_progress", progress: 99 });
    });

    it("a video copy that failed for good settles it: completed, the upstream link standing in", () => {
      expect(statusAfter([history[2]!, completed, thumbnail, videoFailed])).toMatchObject({
        status: "completed",
        progress: 100,
      });
    });

    it("media deleted before the video was stored settles it: completed (its content is gone), in any order", () => {
      for (const order of permutations([history[2]!, completed, thumbnail, retained])) {
        expect(statusAfter(order)).toMatchObject({ status: "completed", progress: 100, error: null });
        expect(project([requested, ...order])!.mediaDeleted).toMatchObject({ reason: /^retention/ });
      }
    });

    it("media deleted does not complete a job that has not completed", () => {
      expect(statusAfter([history[2]!, retained])).toMatchObject({ status: "in_progress" });
    });
  });
});

describe("balance view", () => {
  const account = (version: number, type: string, data: object) =>
    ({ ...envelope("account-acct_1", version, type, data), correlationId: "acct_1" }) as TypedEnvelope;
  const events = [
    account(1, "AccountOpened", { accountId: "acct_1", name: "Acme", balanceMicros: 0, reservedMicros: 0 }),
    account(2, "FundsCredited", {
      amountMicros: 1_000_000,
      reference: "r",
      balanceMicros: 1_000_000,
      reservedMicros: 0,
    }),
    account(3, "FundsReserved", { videoId, amountMicros: 400_000, balanceMicros: 1_000_000, reservedMicros: 400_000 }),
    account(4, "ReservationCaptured", {
      videoId,
      quotedMicros: 400_000,
      amountMicros: 400_000,
      model: "sora-2",
      seconds: "4",
      size: "720x1280",
      balanceMicros: 600_000,
      reservedMicros: 0,
    }),
  ];
  const fold = (order: TypedEnvelope[]) => {
    let view: BalanceView | undefined;
    for (const event of order) view = applyToBalanceView(view, event) ?? view;
    return view;
  };

  it("is the newest totals and the opened name in every order, with repeats", () => {
    const expected = { id: "acct_1", name: "Acme", version: 4, balanceMicros: 600_000, reservedMicros: 0 };
    for (const order of permutations(events)) {
      expect(fold(order)).toEqual(expected);
      expect(fold([...order, ...order.slice().reverse()])).toEqual(expected);
    }
  });
});
