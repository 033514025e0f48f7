import { deciderSpec } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { type DeliveryEvent, decideDelivery, evolveDelivery, initialDelivery } from "../src/domain/delivery.ts";
import {
  DEFAULT_RETRY_SCHEDULE_MS,
  parseRetrySchedule,
  RETRY_WINDOW_MS,
  retryDelayMs,
} from "../src/domain/retry-schedule.ts";

const spec = deciderSpec({ initialState: initialDelivery, evolve: evolveDelivery, decide: decideDelivery });
const T0 = 1_700_000_000_000;
const data = {
  eventId: "evt_1",
  endpointId: "whe_1",
  accountId: "acct_1",
  eventType: "video.completed",
  videoId: "video_1",
  createdAt: T0 / 1000,
  scheduledAtMs: T0,
};
const scheduled: DeliveryEvent = { type: "WebhookDeliveryScheduled", data };
const failedAttempt = (attempt: number, at: number, next: number) => ({
  type: "WebhookDeliveryAttempted" as const,
  data: {
    eventId: "evt_1",
    attempt,
    attemptedAtMs: at,
    statusCode: 500,
    error: null,
    outcome: "retry" as const,
    nextAttemptAtMs: next,
  },
});
const schedule = DEFAULT_RETRY_SCHEDULE_MS;

describe("delivery decider", () => {
  it("schedules an event once", () => {
    spec.given([]).when({ type: "ScheduleDelivery", data }).thenEmits([scheduled]);
    spec.given([scheduled]).when({ type: "ScheduleDelivery", data }).thenNothingHappened();
  });

  it("ends a delivery on a 2xx", () =>
    spec
      .given([scheduled])
      .when({ type: "RecordAttempt", result: { statusCode: 204, error: null }, nowMs: T0 + 10, schedule })
      .thenEmits([
        {
          type: "WebhookDeliveryAttempted",
          data: {
            eventId: "evt_1",
            attempt: 1,
            attemptedAtMs: T0 + 10,
            statusCode: 204,
            error: null,
            outcome: "delivered",
            nextAttemptAtMs: null,
          },
        },
      ]));

  it("retries a 500, a redirect and a timeout after the schedule's wait for that attempt", () => {
    spec
      .given([scheduled])
      .when({ type: "RecordAttempt", result: { statusCode: 500, error: null }, nowMs: T0, schedule })
      .thenEmits([failedAttempt(1, T0, T0 + 5_000)]);
    const redirect = decideDelivery(
      { type: "RecordAttempt", result: { statusCode: 302, error: null }, nowMs: T0 + 5_000, schedule },
      [scheduled, failedAttempt(1, T0, T0 + 5_000)].reduce(evolveDelivery, initialDelivery()),
    );
    expect(redirect[0]!.data).toMatchObject({ attempt: 2, outcome: "retry", nextAttemptAtMs: T0 + 35_000 });
    const timeout = decideDelivery(
      { type: "RecordAttempt", result: { statusCode: null, error: "timed out" }, nowMs: T0, schedule },
      evolveDelivery(initialDelivery(), scheduled),
    );
    expect(timeout[0]!.data).toMatchObject({ outcome: "retry", error: "timed out" });
  });

  it("gives up once the next attempt would fall past 24 hours", () => {
    const late = T0 + RETRY_WINDOW_MS - 10_000; // the second wait is 30 s
    const state = [scheduled, failedAttempt(1, T0, late)].reduce(evolveDelivery, initialDelivery());
    const [event] = decideDelivery(
      { type: "RecordAttempt", result: { statusCode: 500, error: null }, nowMs: late, schedule },
      state,
    );
    expect(event!.data).toMatchObject({ outcome: "abandoned", nextAttemptAtMs: null });
    expect(evolveDelivery(state, event!).status).toBe("abandoned");
  });

  it("records nothing for a delivery already done", () => {
    const done: DeliveryEvent = {
      type: "WebhookDeliveryAttempted",
      data: { ...failedAttempt(1, T0, T0).data, statusCode: 200, outcome: "delivered" as const, nextAttemptAtMs: null },
    };
    spec
      .given([scheduled, done])
      .when({ type: "RecordAttempt", result: { statusCode: 200, error: null }, nowMs: T0, schedule })
      .thenNothingHappened();
    spec.given([scheduled, done]).when({ type: "Abandon", reason: "deleted", nowMs: T0 }).thenNothingHappened();
  });
});

describe("retry schedule", () => {
  it("is SPEC §1.5's by default, then hourly", () => {
    const waits = Array.from({ length: 10 }, (_, index) => retryDelayMs(DEFAULT_RETRY_SCHEDULE_MS, index + 1));
    expect(waits).toEqual([
      5_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
  });

  it("tries for 24 hours: 8 scheduled waits then hourly, about 30 attempts in all", () => {
    let state = evolveDelivery(initialDelivery(), scheduled);
    let now = T0;
    for (;;) {
      const [event] = decideDelivery(
        { type: "RecordAttempt", result: { statusCode: 503, error: null }, nowMs: now, schedule },
        state,
      );
      state = evolveDelivery(state, event!);
      if (state.status !== "pending") break;
      now = state.nextAttemptAtMs!;
    }
    expect(state.status).toBe("abandoned");
    expect(now - T0).toBeLessThanOrEqual(RETRY_WINDOW_MS);
    expect(now - T0).toBeGreaterThan(RETRY_WINDOW_MS - 3_600_000);
    expect(state.attempts.length).toBeGreaterThanOrEqual(28);
  });

  it("parses REELGATE_WEBHOOK_RETRY_SCHEDULE_MS, the last wait repeating, and refuses nonsense", () => {
    expect(parseRetrySchedule(undefined)).toBe(DEFAULT_RETRY_SCHEDULE_MS);
    const custom = parseRetrySchedule("100, 200");
    expect([1, 2, 3].map((attempt) => retryDelayMs(custom, attempt))).toEqual([100, 200, 200]);
    expect(() => parseRetrySchedule("100,soon")).toThrow(/REELGATE_WEBHOOK_RETRY_SCHEDULE_MS/);
    expect(() => parseRetrySchedule("0")).toThrow();
  });
});
