import type { EventData, EventOf } from "@reelgate/contracts";
import { Map as PersistentMap } from "immutable";

export type AccountEvent = EventOf<
  | "AccountOpened"
  | "FundsCredited"
  | "FundsAdjusted"
  | "FundsReserved"
  | "ReservationRejected"
  | "ReservationCaptured"
  | "ReservationReleased"
>;

export interface AccountState {
  accountId: string | undefined;
  name: string;
  balanceMicros: number;
  reservedMicros: number;
  /**
   * Open reservations by video id. A closed one leaves; repeats of its commands are stopped by derived
   * commit ids. Persistent maps: each event makes a new state in O(log n), not a copy of every open
   * reservation (a hot account may hold thousands).
   */
  reservations: PersistentMap<string, number>;
  /** Every credit or adjustment reference applied, with its amount: the same reference is applied once. */
  references: PersistentMap<string, number>;
  /** Open reservations of extensions, by video id: the source's seconds, which the capture does not charge again. */
  extensions: PersistentMap<string, string>;
}

export const initialAccount = (): AccountState => ({
  accountId: undefined,
  name: "",
  balanceMicros: 0,
  reservedMicros: 0,
  reservations: PersistentMap(),
  references: PersistentMap(),
  extensions: PersistentMap(),
});

/**
 * The one rule of money: what each event does to the totals. `evolve` uses it, and the ledger replay
 * checks every event's recorded totals against it.
 */
export const applyToTotals = (totals: Totals, event: AccountEvent): Totals => {
  const { balanceMicros, reservedMicros } = totals;
  switch (event.type) {
    case "AccountOpened":
    case "ReservationRejected":
      return totals;
    case "FundsCredited":
    case "FundsAdjusted":
      return { balanceMicros: balanceMicros + event.data.amountMicros, reservedMicros };
    case "FundsReserved":
      return { balanceMicros, reservedMicros: reservedMicros + event.data.amountMicros };
    case "ReservationCaptured":
      return {
        balanceMicros: balanceMicros - event.data.amountMicros,
        reservedMicros: reservedMicros - event.data.quotedMicros,
      };
    case "ReservationReleased":
      return { balanceMicros, reservedMicros: reservedMicros - event.data.amountMicros };
  }
};

export const evolveAccount = (state: AccountState, event: AccountEvent): AccountState => {
  const next = { ...state, ...applyToTotals(state, event) };
  switch (event.type) {
    case "AccountOpened":
      return { ...next, accountId: event.data.accountId, name: event.data.name };
    case "FundsCredited":
    case "FundsAdjusted":
      return { ...next, references: state.references.set(event.data.reference, event.data.amountMicros) };
    case "FundsReserved":
      return {
        ...next,
        reservations: state.reservations.set(event.data.videoId, event.data.amountMicros),
        extensions:
          event.data.sourceSeconds === undefined
            ? state.extensions
            : state.extensions.set(event.data.videoId, event.data.sourceSeconds),
      };
    case "ReservationCaptured":
    case "ReservationReleased":
      return {
        ...next,
        reservations: state.reservations.delete(event.data.videoId),
        extensions: state.extensions.delete(event.data.videoId),
      };
    case "ReservationRejected":
      return next;
  }
};

export const availableMicros = (state: Totals) => state.balanceMicros - state.reservedMicros;

export type Totals = Pick<EventData<"FundsReserved">, "balanceMicros" | "reservedMicros">;

export type AccountStateJson = Omit<AccountState, "reservations" | "references" | "extensions"> & {
  reservations: Array<[string, number]>;
  references: Array<[string, number]>;
  /** Absent in snapshots taken before extensions were billed. */
  extensions?: Array<[string, string]>;
};

/** The state as JSON for a snapshot, and back. */
export const accountSnapshot = {
  serialize: (state: AccountState): AccountStateJson => ({
    ...state,
    reservations: [...state.reservations],
    references: [...state.references],
    extensions: [...state.extensions],
  }),
  deserialize: (json: AccountStateJson): AccountState => ({
    ...json,
    reservations: PersistentMap(json.reservations),
    references: PersistentMap(json.references),
    extensions: PersistentMap(json.extensions ?? []),
  }),
};
