import type { Aggregate } from "@reelgate/runtime";
import { type AccountEvent, type AccountState, evolveAccount, initialAccount } from "./account.ts";
import { type AccountCommand, decideAccount } from "./decide.ts";

export const accountAggregate: Aggregate<AccountState, AccountCommand, AccountEvent> = {
  initialState: initialAccount,
  evolve: evolveAccount,
  decide: decideAccount,
};
