import type { EventData, EventOf } from "@reelgate/contracts";

export type AccountEvent = EventOf<
  | "AccountOpened"
  | "FundsCredited"
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
}

export const initialAccount = (): AccountState => ({
  accountId: undefined,
  name: "",
  balanceMicros: 0,
  reservedMicros: 0,
  reservations: new Map(),
});

/** Totals after each event: the rule is here, in one place; events carry the result for views. */
export const evolveAccount = (state: AccountState, event: AccountEvent): AccountState => {
  const next = { ...state, balanceMicros: event.data.balanceMicros, reservedMicros: event.data.reservedMicros };
  switch (event.type) {
    case "AccountOpened":
      return { ...next, accountId: event.data.accountId, name: event.data.name };
    case "FundsReserved": {
      const reservations = new Map(state.reservations).set(event.data.videoId, event.data.amountMicros);
      return { ...next, reservations };
    }
    case "ReservationCaptured":
    case "ReservationReleased": {
      const reservations = new Map(state.reservations);
      reservations.delete(event.data.videoId);
      return { ...next, reservations };
    }
    default:
      return next;
  }
};

export const availableMicros = (state: Pick<AccountState, "balanceMicros" | "reservedMicros">) =>
  state.balanceMicros - state.reservedMicros;

export type Totals = Pick<EventData<"FundsReserved">, "balanceMicros" | "reservedMicros">;
