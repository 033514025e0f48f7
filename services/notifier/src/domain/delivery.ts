import type { EventOf } from "@reelgate/contracts";
import { RETRY_WINDOW_MS, retryDelayMs } from "./retry-schedule.ts";

export type DeliveryEvent = EventOf<"WebhookDeliveryScheduled" | "WebhookDeliveryAttempted">;

export interface Attempt {
  attempt: number;
  attemptedAtMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryState {
  scheduled: EventOf<"WebhookDeliveryScheduled">["data"] | null;
  attempts: Attempt[];
  status: "pending" | "delivered" | "abandoned";
  /** When the next POST is due (ms); the scheduled time for the first. */
  nextAttemptAtMs: number | null;
}

export const initialDelivery = (): DeliveryState => ({
  scheduled: null,
  attempts: [],
  status: "pending",
  nextAttemptAtMs: null,
});

export const evolveDelivery = (state: DeliveryState, event: DeliveryEvent): DeliveryState => {
  switch (event.type) {
    case "WebhookDeliveryScheduled":
      return { ...state, scheduled: event.data, nextAttemptAtMs: event.data.scheduledAtMs };
    case "WebhookDeliveryAttempted": {
      const { attempt, attemptedAtMs, statusCode, error, outcome, nextAttemptAtMs } = event.data;
      return {
        ...state,
        attempts: [...state.attempts, { attempt, attemptedAtMs, statusCode, error }],
        status: outcome === "delivered" ? "delivered" : outcome === "abandoned" ? "abandoned" : "pending",
        nextAttemptAtMs,
      };
    }
  }
};

/** What one POST came to: a status code (any), or an error before one (refused, timed out, unreachable). */
export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

export type DeliveryCommand =
  | { type: "ScheduleDelivery"; data: EventOf<"WebhookDeliveryScheduled">["data"] }
  | { type: "RecordAttempt"; result: AttemptResult; nowMs: number; schedule: number[] }
  | { type: "Abandon"; reason: string; nowMs: number };

const succeeded = (result: AttemptResult) =>
  result.error === null && result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;

/** The delivery's rules: a 2xx ends it; anything else is retried on the schedule until the 24-hour window ends. */
export const decideDelivery = (command: DeliveryCommand, state: DeliveryState): DeliveryEvent[] => {
  switch (command.type) {
    case "ScheduleDelivery":
      return state.scheduled ? [] : [{ type: "WebhookDeliveryScheduled", data: command.data }];
    case "RecordAttempt":
    case "Abandon": {
      if (!state.scheduled || state.status !== "pending") return [];
      const attempt = state.attempts.length + 1;
      const result = command.type === "Abandon" ? { statusCode: null, error: command.reason } : command.result;
      const base = { eventId: state.scheduled.eventId, attempt, attemptedAtMs: command.nowMs, ...result };
      if (command.type === "RecordAttempt" && succeeded(result))
        return [{ type: "WebhookDeliveryAttempted", data: { ...base, outcome: "delivered", nextAttemptAtMs: null } }];
      const next = command.type === "Abandon" ? null : command.nowMs + retryDelayMs(command.schedule, attempt);
      const withinWindow = next !== null && next <= state.scheduled.scheduledAtMs + RETRY_WINDOW_MS;
      return [
        {
          type: "WebhookDeliveryAttempted",
          data: withinWindow
            ? { ...base, outcome: "retry", nextAttemptAtMs: next }
            : { ...base, outcome: "abandoned", nextAttemptAtMs: null },
        },
      ];
    }
  }
};
