import type { EventData, EventOf } from "@reelgate/contracts";

export type JobEvent = EventOf<"JobQueued" | "JobSubmitted" | "JobProgressed" | "JobCompleted" | "JobFailed">;

export interface JobState {
  request: EventData<"JobQueued"> | undefined;
  submission: EventData<"JobSubmitted"> | undefined;
  progress: number;
  outcome: "completed" | "failed" | undefined;
}

export const initialJob = (): JobState => ({
  request: undefined,
  submission: undefined,
  progress: 0,
  outcome: undefined,
});

export const evolveJob = (state: JobState, event: JobEvent): JobState => {
  switch (event.type) {
    case "JobQueued":
      return { ...state, request: event.data };
    case "JobSubmitted":
      return { ...state, submission: event.data };
    case "JobProgressed":
      return { ...state, progress: event.data.progress };
    case "JobCompleted":
      return { ...state, progress: 100, outcome: "completed" };
    case "JobFailed":
      return { ...state, outcome: "failed" };
  }
};
