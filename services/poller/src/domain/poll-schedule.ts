/**
 * When to ask the upstream again: fast at first, slower the longer the job runs, never sooner than
 * it asked, nor sooner than the provider's own interval (`providerIntervalMs`: Veo documents about 10 s).
 * `random` in [0, 1) spreads polls by up to a quarter, so jobs started together do not poll in step.
 */
export const nextPollDelayMs = (ageMs: number, retryAfterMs?: number, random = 0, providerIntervalMs = 0): number => {
  const byAge = Math.max(
    ageMs < 10_000 ? 500 : ageMs < 60_000 ? 2_000 : ageMs < 600_000 ? 5_000 : 15_000,
    providerIntervalMs,
  );
  return Math.max(Math.round(byAge * (1 + random / 4)), retryAfterMs ?? 0);
};
