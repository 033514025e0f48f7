export * from "./aggregate.ts";
export * from "./envelopes.ts";
export * from "./runtime.ts";
export * from "./snapshots.ts";
