import type { EventData, EventOf } from "@reelgate/contracts";

export type JobEvent = EventOf<
  | "JobQueued"
  | "JobSubmitted"
  | "SubmitAttemptFailed"
  | "JobProgressed"
  | "JobCompleted"
  | "JobFailed"
  | "JobCompletedLate"
>;

export type FailedAttempt = EventData<"SubmitAttemptFailed">;

export interface JobState {
  request: EventData<"JobQueued"> | undefined;
  /** The upstream job being followed; cleared when a lost chat stream sends the job to another try. */
  submission: EventData<"JobSubmitted"> | undefined;
  /** Every submit try that failed in a way another try may cure, oldest first. */
  attempts: FailedAttempt[];
  progress: number;
  outcome: "completed" | "failed" | undefined;
  failure: { code: string; message: string; failedAt: number } | undefined;
  /** Where the finished video lives upstream: what remixes of it are sent to. */
  completion: { channelId: string; upstreamId: string } | undefined;
  /** The upstream finished it after we had given up on it. */
  completedLate: boolean;
}

export const initialJob = (): JobState => ({
  request: undefined,
  submission: undefined,
  attempts: [],
  progress: 0,
  outcome: undefined,
  failure: undefined,
  completion: undefined,
  completedLate: false,
});

export const evolveJob = (state: JobState, event: JobEvent): JobState => {
  switch (event.type) {
    case "JobQueued":
      return { ...state, request: event.data };
    case "JobSubmitted":
      return { ...state, submission: event.data };
    case "SubmitAttemptFailed":
      return {
        ...state,
        attempts: [...state.attempts, event.data],
        submission: state.submission?.channelId === event.data.channelId ? undefined : state.submission,
      };
    case "JobProgressed":
      return { ...state, progress: event.data.progress };
    case "JobCompleted":
      return {
        ...state,
        progress: 100,
        outcome: "completed",
        completion: { channelId: event.data.channelId, upstreamId: event.data.upstreamId },
      };
    case "JobFailed":
      return { ...state, outcome: "failed", failure: event.data };
    case "JobCompletedLate":
      return {
        ...state,
        completedLate: true,
        completion: { channelId: event.data.channelId, upstreamId: event.data.upstreamId },
      };
  }
};

/** Failed for its deadline, and the upstream may still finish it: worth asking a while longer. */
export const gaveUpOnTime = (state: JobState) =>
  state.outcome === "failed" && state.failure?.code === "timeout" && !state.completedLate;
