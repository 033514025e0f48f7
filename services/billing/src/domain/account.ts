import type { EventData, EventOf } from "@reelgate/contracts";

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
  /** Open reservations by video id. A closed one leaves; repeats of its commands are stopped by derived commit ids. */
  reservations: Map<string, number>;
  /** Every credit or adjustment reference applied, with its amount: the same reference is applied once. */
  references: Map<string, number>;
}

export const initialAccount = (): AccountState => ({
  accountId: undefined,
  name: "",
  balanceMicros: 0,
  reservedMicros: 0,
  reservations: new Map(),
  references: new Map(),
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
      return { ...next, references: new Map(state.references).set(event.data.reference, event.data.amountMicros) };
    case "FundsReserved":
      return { ...next, reservations: new Map(state.reservations).set(event.data.videoId, event.data.amountMicros) };
    case "ReservationCaptured":
    case "ReservationReleased": {
      const reservations = new Map(state.reservations);
      reservations.delete(event.data.videoId);
      return { ...next, reservations };
    }
    case "ReservationRejected":
      return next;
  }
};

export const availableMicros = (state: Totals) => state.balanceMicros - state.reservedMicros;

export type Totals = Pick<EventData<"FundsReserved">, "balanceMicros" | "reservedMicros">;

export type AccountStateJson = Omit<AccountState, "reservations" | "references"> & {
  reservations: Array<[string, number]>;
  references: Array<[string, number]>;
};

/** The state as JSON for a snapshot, and back. */
export const accountSnapshot = {
  serialize: (state: AccountState): AccountStateJson => ({
    ...state,
    reservations: [...state.reservations],
    references: [...state.references],
  }),
  deserialize: (json: AccountStateJson): AccountState => ({
    ...json,
    reservations: new Map(json.reservations),
    references: new Map(json.references),
  }),
};
