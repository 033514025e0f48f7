/**
 * What tools outside the service may use: the pure account domain (the one rule of money, for
 * ledger replays and audits) and the ledger's use cases (for benchmarks and tests on a real store).
 */
export {
  type AccountEvent,
  type AccountState,
  type AccountStateJson,
  accountSnapshot,
  applyToTotals,
  availableMicros,
  evolveAccount,
  initialAccount,
  type Totals,
} from "./domain/account.ts";
export { accountAggregate } from "./domain/aggregate.ts";
export { type AccountCommand, AccountRuleError, decideAccount } from "./domain/decide.ts";
export { type Ledger, ledger } from "./handlers/ledger.ts";
