import type { EventData, EventOf } from "@reelgate/contracts";

export type JobEvent = EventOf<
  | "JobQueued"
  | "JobSubmitted"
  | "SubmitAttemptFailed"
  | "SubmitAttempted"
  | "JobProgressed"
  | "JobCompleted"
  | "JobFailed"
  | "JobCompletedLate"
>;

export type FailedAttempt = EventData<"SubmitAttemptFailed">;
export type SubmitIntent = EventData<"SubmitAttempted">;

export interface JobState {
  request: EventData<"JobQueued"> | undefined;
  /** The upstream job being followed; cleared when a lost chat stream sends the job to another try. */
  submission: EventData<"JobSubmitted"> | undefined;
  /** Every submit try that failed in a way another try may cure, oldest first. */
  attempts: FailedAttempt[];
  /**
   * A try sent (or about to be sent) upstream whose answer was never recorded: its poller died
   * mid-submit, and the upstream may have a job for it.
   */
  unsettled: SubmitIntent | undefined;
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
  unsettled: undefined,
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
    case "SubmitAttempted":
      return { ...state, unsettled: event.data };
    case "JobSubmitted":
      return { ...state, submission: event.data, unsettled: undefined };
    case "SubmitAttemptFailed":
      return {
        ...state,
        unsettled: undefined,
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
