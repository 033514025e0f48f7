/** What other tools (the benchmarks) may use: the ledger's export, replay and verify, without the process around them. */
export * from "./commands/ledger.ts";
export { rebuildReadModel, replayInto, type StoresByService, verifyReadModel } from "./commands/read-model.ts";
