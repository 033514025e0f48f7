/** Deliver the message again after `ms`, rounded up: JetStream ignores a fractional nak delay and redelivers at once. */
export const after = (ms: number) => ({ retryInMs: Math.max(0, Math.ceil(ms)) });
