import { expect } from "vitest";

export interface Decider<State, Command, Event> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
}

/** `given(events).when(command).thenEmits(events)`: one helper for every decider's specs. */
export const deciderSpec = <State, Command, Event>(decider: Decider<State, Command, Event>) => ({
  given: (events: Event[]) => ({
    when: (command: Command) => {
      const run = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
      return {
        thenEmits: (expected: Event[]) => expect(run()).toEqual(expected),
        thenNothingHappened: () => expect(run()).toEqual([]),
        thenThrows: (error: new (...args: never[]) => Error, message?: RegExp) => {
          expect(run).toThrow(error);
          if (message) expect(run).toThrow(message);
        },
      };
    },
  }),
});
