/**
 * When a child that died is started again, and when the launcher stops trying. Pure: the crash
 * times in, a decision out, so the policy is tested without processes.
 */
export interface RestartPolicy {
  /** The wait before the first restart; each crash in the window doubles it. */
  initialDelayMs: number;
  /** The wait never grows beyond this. */
  maxDelayMs: number;
  /** This many crashes within `windowMs` and the launcher gives up on the child. */
  maxCrashes: number;
  windowMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

export type RestartDecision =
  | { kind: "restart"; delayMs: number; recent: number }
  | { kind: "give-up"; recent: number };

/** `crashes`: every crash's time, this one included. */
export const decideRestart = (crashes: readonly number[], now: number, policy: RestartPolicy): RestartDecision => {
  const recent = crashes.filter((at) => now - at < policy.windowMs).length;
  if (recent >= policy.maxCrashes) return { kind: "give-up", recent };
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, recent - 1));
  return { kind: "restart", delayMs, recent };
};

/** How an exit reads in the log: `code 1`, `signal SIGKILL`. */
export const describeExit = ({ code, signal }: { code: number | null; signal: NodeJS.Signals | null }) =>
  signal ? `signal ${signal}` : `code ${code}`;
