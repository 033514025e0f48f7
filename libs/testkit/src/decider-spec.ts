import type { DomainEvent } from "@reelgate/contracts";
import type { Aggregate } from "@reelgate/runtime";
import { expect } from "vitest";

/** `given(events).when(command).thenEmits(events)`: one helper for every decider's specs. */
export const deciderSpec = <State, Command, Event extends DomainEvent>(decider: Aggregate<State, Command, Event>) => ({
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
