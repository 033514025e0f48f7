import type { Video } from "@reelgate/contracts";

/** The longest wait suggested: the poller itself asks an upstream at least this often (services/poller domain/poll-schedule.ts). */
export const MAX_POLL_AFTER_MS = 15_000;
/** The shortest: a video never changes faster than the poller's fastest interval and the event's way here. */
export const MIN_POLL_AFTER_MS = 1_000;
/** Progress below this says little about the pace of a job. */
const TRUSTED_PROGRESS = 10;

/**
 * How often the poller asks the upstream about a job of this age (mirrors `nextPollDelayMs` in
 * services/poller): a video's answer cannot change between two of its polls, whatever the provider.
 */
const pollerIntervalMs = (ageMs: number) =>
  ageMs < 10_000 ? 500 : ageMs < 60_000 ? 2_000 : ageMs < 600_000 ? 5_000 : MAX_POLL_AFTER_MS;

/**
 * `openai-poll-after-ms` for an unfinished video (SPEC §1.1), undefined once it is finished: how long a
 * client should wait before asking again, so the SDKs' `poll` helpers ask as often as is useful and no more.
 *
 * - queued: billing reserves and the poller submits within moments, unless channels are busy — 1 s while young;
 *   the poller's interval for the age after.
 * - in_progress at 99: the job is done and storage is copying the media — 1 s.
 * - in_progress: never sooner than the poller's next poll can change the answer. Once progress is 10% or more,
 *   half the time left at the pace so far (elapsed × (100 − p) / p ÷ 2: a second look halfway, as the pace is an
 *   estimate), and never more than half the video's age (the age counts time before the upstream started, so
 *   the pace can look slow: a job that ends right after a poll is then seen at most half its age late), up to
 *   15 s. Below 10% the pace says little (a first report lagging), so the poller's interval.
 */
export const pollAfterMs = (video: Pick<Video, "status" | "progress" | "created_at">, nowMs: number) => {
  if (video.status === "completed" || video.status === "failed") return undefined;
  const ageMs = Math.max(0, nowMs - video.created_at * 1000);
  const interval = pollerIntervalMs(ageMs);
  const clamp = (ms: number) => Math.round(Math.min(MAX_POLL_AFTER_MS, Math.max(MIN_POLL_AFTER_MS, interval, ms)));
  if (video.status === "queued") return clamp(ageMs < 10_000 ? MIN_POLL_AFTER_MS : interval);
  if (video.progress >= 99) return MIN_POLL_AFTER_MS;
  if (video.progress < TRUSTED_PROGRESS) return clamp(interval);
  return clamp(Math.min((ageMs * (100 - video.progress)) / video.progress / 2, ageMs / 2));
};
