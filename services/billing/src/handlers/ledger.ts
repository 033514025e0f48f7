import { type AccountSnapshot, type Catalog, priceOf, streamId, type TypedEnvelope } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { aggregateRepository, type Decision, type EventMeta, type SnapshotStore } from "@reelgate/runtime";
import type { AccountState } from "../domain/account.ts";
import { accountAggregate } from "../domain/aggregate.ts";
import { type AccountCommand, pricedSpec } from "../domain/decide.ts";

/** Billing's use cases: each turns an event or an admin request into a command on one account. */
export const ledger = ({
  store,
  catalog,
  now,
  onAppended,
  snapshots,
}: {
  store: EventStore;
  catalog: Catalog;
  now: () => Date;
  onAppended: () => void;
  snapshots?: SnapshotStore<AccountState>;
}) => {
  const accounts = aggregateRepository(store, accountAggregate, { snapshots });

  const execute = async (accountId: string, command: AccountCommand, meta: Omit<EventMeta, "accountId" | "now">) => {
    const decision = await accounts.execute(streamId("account", accountId), command, {
      ...meta,
      accountId,
      now: now(),
    });
    if (decision.events.length > 0) onAppended();
    return decision;
  };

  const snapshotOf = (
    accountId: string,
    decision: Pick<Decision<AccountState>, "state" | "version">,
  ): AccountSnapshot => ({
    accountId,
    name: decision.state.name,
    version: decision.version,
    balanceMicros: decision.state.balanceMicros,
    reservedMicros: decision.state.reservedMicros,
  });

  const fromEvent = (event: TypedEnvelope, purpose: string) => ({
    commitId: `${purpose}:${event.correlationId}`,
    correlationId: event.correlationId,
    causationId: event.id,
  });

  return {
    async openAccount(request: { accountId: string; name: string; creditsMicros: number; commandId: string }) {
      const decision = await execute(
        request.accountId,
        { type: "OpenAccount", ...request },
        { commitId: `open:${request.accountId}`, correlationId: request.accountId, causationId: request.commandId },
      );
      return snapshotOf(request.accountId, decision);
    },

    /** A top-up, or an adjustment when negative; the reference makes a repeat a no-op that answers the same. */
    async credit(request: { accountId: string; amountMicros: number; reference: string }) {
      const { accountId, amountMicros, reference } = request;
      const decision = await execute(
        accountId,
        { type: "CreditFunds", amountMicros, reference },
        { commitId: `credit:${accountId}:${reference}`, correlationId: accountId, causationId: null },
      );
      return snapshotOf(accountId, decision);
    },

    /** The account's billing events, oldest first, a page at a time; undefined for an unknown account. */
    async ledgerPage(request: { accountId: string; afterVersion: number; limit: number }) {
      const stream = streamId("account", request.accountId);
      const events = await store.readStream(stream, request.afterVersion, request.limit + 1);
      if (request.afterVersion === 0 && events.length === 0) return undefined;
      return { events: events.slice(0, request.limit), hasMore: events.length > request.limit };
    },

    async account(accountId: string): Promise<AccountSnapshot | undefined> {
      const loaded = await accounts.load(streamId("account", accountId));
      return loaded.state.accountId ? snapshotOf(accountId, loaded) : undefined;
    },

    async onVideoRequested(event: TypedEnvelope & { type: "VideoRequested" }) {
      const { videoId, accountId, quoteMicros } = event.data;
      // An extension's quote is of its own seconds; the reservation remembers the source's, which its capture leaves out.
      const { operation, sourceSeconds } = event.data as { operation?: string; sourceSeconds?: string | null };
      const extension = operation === "extend" && typeof sourceSeconds === "string" ? { sourceSeconds } : {};
      await execute(
        accountId,
        { type: "ReserveFunds", videoId, amountMicros: quoteMicros, ...extension },
        fromEvent(event, "reserve"),
      );
    },

    async onJobCompleted(event: TypedEnvelope & { type: "JobCompleted" }) {
      if (!event.accountId) throw new Error(`JobCompleted ${event.id} names no account`);
      const { videoId, model, seconds, size } = event.data;
      const reported = { model, seconds, size };
      const account = await accounts.load(streamId("account", event.accountId));
      const sourceSeconds = account.state.extensions.get(videoId);
      const priced = pricedSpec(reported, sourceSeconds);
      // What the upstream made decides the price, the quote its ceiling; a combination we do not sell is charged at the quote.
      // An extension's added seconds are priced as the catalog prices extensions (`extension_seconds`).
      const priceMicros =
        priced && priceOf(priced, catalog, event.accountId, { extension: sourceSeconds !== undefined });
      await execute(
        event.accountId,
        { type: "CaptureReservation", videoId, priceMicros, reported, chargeOverage: catalog.chargeOverage ?? false },
        fromEvent(event, "settle"),
      );
    },

    async onJobFailed(event: TypedEnvelope & { type: "JobFailed" }) {
      if (!event.accountId) throw new Error(`JobFailed ${event.id} names no account`);
      const reason = `${event.data.code}: ${event.data.message}`;
      await execute(
        event.accountId,
        { type: "ReleaseReservation", videoId: event.data.videoId, reason },
        fromEvent(event, "settle"),
      );
    },
  };
};

export type Ledger = ReturnType<typeof ledger>;
