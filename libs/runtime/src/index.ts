export { type Aggregate, aggregateRepository, type Decision, type SnapshotStore } from "./aggregate.ts";
export { type EventMeta, toNewEvents } from "./envelopes.ts";
export { RuleError } from "./rule-error.ts";
export { type ConsumeOptions, type Runtime, startRuntime } from "./runtime.ts";
export { documentSnapshots } from "./snapshots.ts";
