import type { DomainEvent } from "@reelgate/contracts";
import type { Aggregate } from "../src/index.ts";

/** Any event type will do: the repository does not look inside. */
type Revoked = Extract<DomainEvent, { type: "ApiKeyRevoked" }>;
export type CounterCommand = { type: "Bump" } | { type: "BumpIfAtLeast"; count: number };

/** A counter that always bumps (a repeat is stopped by its commit id alone), or only from a count on. */
export const counter: Aggregate<{ count: number }, CounterCommand, Revoked> = {
  initialState: () => ({ count: 0 }),
  evolve: (state) => ({ count: state.count + 1 }),
  decide: (command, state) =>
    command.type === "Bump" || state.count >= command.count ? [{ type: "ApiKeyRevoked", data: { keyId: "k" } }] : [],
};

/** The metadata of a command whose commit id is `commitId`. */
export const counterMeta = (commitId: string) => ({
  commitId,
  correlationId: "c",
  causationId: null,
  accountId: null,
  now: new Date(),
});
