/** A simulated upstream job. Its status is a pure function of the clock, so nothing has to tick. */
export interface Job {
  id: string;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  createdAtMs: number;
  durationMs: number;
  /** Whether the job ends `failed` (its prompt carried the fail marker). */
  fails: boolean;
  remixedFromVideoId: string | null;
  /** The total size of the video to serve; undefined serves the small default MP4. */
  videoBytes: number | undefined;
  /** The prompt carried the filter marker: the job ends failed as the provider's content filter says it. */
  filtered?: boolean;
  /** The message it fails with, when a fault set one (an oversized one, say). */
  errorMessage?: string;
  /** Stopped before its end (cancelled, or a chat stream that broke off): it ended failed then. */
  endedEarly?: "cancelled" | "stream_broken";
}

/** Ends a running job now, failed: a cancel, or a chat stream that broke off. */
export const endEarly = (job: Job, nowMs: number, why: NonNullable<Job["endedEarly"]>) => {
  if (isTerminal(statusAt(job, nowMs).status)) return;
  job.durationMs = Math.max(0, nowMs - job.createdAtMs);
  job.fails = true;
  job.endedEarly = why;
};

export type JobStatus = "queued" | "in_progress" | "completed" | "failed";

export interface JobState {
  status: JobStatus;
  progress: number;
}

export const FAIL_MARKER = "[fail]";

/** The first part of a job's duration it spends queued, before progress starts. */
export const QUEUED_FRACTION = 0.2;

export const FILTER_MARKER = "[filtered]";

export const failsByPrompt = (prompt: string) => prompt.includes(FAIL_MARKER) || prompt.includes(FILTER_MARKER);

export const filteredByPrompt = (prompt: string) => prompt.includes(FILTER_MARKER);

/** `[made-seconds=8]` in a prompt: the job reports that it made this many seconds, whatever was asked (as upstreams do). */
export const madeSecondsByPrompt = (prompt: string): string | undefined =>
  /\[made-seconds=(\d{1,3})\]/.exec(prompt)?.[1];

export const endsAtMs = (job: Job) => job.createdAtMs + job.durationMs;

export const isTerminal = (status: JobStatus) => status === "completed" || status === "failed";

/** queued for the first fifth, then in_progress with progress rising to 99, then completed (100) or failed. */
export const statusAt = (job: Job, nowMs: number): JobState => {
  const elapsed = nowMs - job.createdAtMs;
  if (elapsed >= job.durationMs)
    return job.fails ? { status: "failed", progress: 0 } : { status: "completed", progress: 100 };
  const queuedMs = job.durationMs * QUEUED_FRACTION;
  if (elapsed < queuedMs) return { status: "queued", progress: 0 };
  const progress = Math.floor(((elapsed - queuedMs) / (job.durationMs - queuedMs)) * 100);
  return { status: "in_progress", progress: Math.min(99, Math.max(1, progress)) };
};

export interface JobStats {
  submitted: number;
  inFlight: number;
  peakInFlight: number;
  completed: number;
  failed: number;
}

/** Counts at `nowMs`; the peak is the most jobs whose [created, end) spans overlapped at any instant so far. */
export const statsAt = (allJobs: readonly Job[], nowMs: number): JobStats => {
  const jobs = allJobs.filter((job) => job.createdAtMs <= nowMs);
  const edges: Array<[number, number]> = [];
  let completed = 0;
  let failed = 0;
  for (const job of jobs) {
    edges.push([job.createdAtMs, 1]);
    const { status } = statusAt(job, nowMs);
    if (isTerminal(status)) edges.push([endsAtMs(job), -1]);
    if (status === "completed") completed++;
    if (status === "failed") failed++;
  }
  // At equal times an end comes before a start: a job that ends as another begins never overlaps it.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peakInFlight = 0;
  for (const [, delta] of edges) {
    running += delta;
    peakInFlight = Math.max(peakInFlight, running);
  }
  return { submitted: jobs.length, inFlight: running, peakInFlight, completed, failed };
};
