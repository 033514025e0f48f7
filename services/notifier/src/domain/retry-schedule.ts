/** SPEC §1.5: about 5 s, 30 s, 1 min, 2 min, 5 min, 10 min, 30 min, 1 h, then hourly. */
export const DEFAULT_RETRY_SCHEDULE_MS = [5_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
/** Retries go on until this long after the event was scheduled. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;

/** `REELGATE_WEBHOOK_RETRY_SCHEDULE_MS` ("100,200,400"): the waits after each failed attempt; the last repeats. */
export const parseRetrySchedule = (text: string | undefined): number[] => {
  if (text === undefined || text.trim() === "") return DEFAULT_RETRY_SCHEDULE_MS;
  const waits = text.split(",").map((part) => Number(part.trim()));
  if (waits.some((wait) => !Number.isInteger(wait) || wait <= 0))
    throw new Error(
      `REELGATE_WEBHOOK_RETRY_SCHEDULE_MS must be positive whole milliseconds, comma-separated: '${text}'`,
    );
  return waits;
};

/** The wait after failed attempt `attempt` (1 = the first POST). */
export const retryDelayMs = (schedule: number[], attempt: number): number =>
  schedule[Math.min(attempt, schedule.length) - 1]!;
