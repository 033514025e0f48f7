import {
  type AccountSnapshot,
  eventTypes,
  formatUsd,
  newAccountId,
  newApiKey,
  newEventId,
  newKeyId,
  sha256Hex,
  streamId,
} from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { BillingClient } from "../adapters/billing-client.ts";
import type { Views } from "../views/views.ts";

export const accountJson = (account: AccountSnapshot) => ({
  id: account.accountId,
  name: account.name,
  balance_usd: formatUsd(account.balanceMicros),
  reserved_usd: formatUsd(account.reservedMicros),
});

/** Admin use cases: accounts live in billing; API keys are ingress's own. */
export const accountService = ({
  store,
  views,
  billing,
  now,
  onAppended,
}: {
  store: EventStore;
  views: Views;
  billing: BillingClient;
  now: () => Date;
  onAppended: () => void;
}) => {
  /** Billing's answer is newer than or as new as what the projection holds: take it now, so a create right after sees it. */
  const remember = async (account: AccountSnapshot) => {
    await views.balances.update(account.accountId, (current) =>
      current && current.version >= account.version
        ? undefined
        : {
            id: account.accountId,
            name: account.name,
            version: account.version,
            balanceMicros: account.balanceMicros,
            reservedMicros: account.reservedMicros,
          },
    );
    return account;
  };

  return {
    async open(name: string, creditsMicros: number) {
      const accountId = newAccountId();
      return remember(await billing.openAccount({ accountId, name, creditsMicros, commandId: newEventId() }));
    },

    async get(accountId: string) {
      return remember(await billing.getAccount(accountId));
    },

    async issueKey(accountId: string, name: string) {
      await billing.getAccount(accountId);
      const keyId = newKeyId();
      const key = newApiKey();
      const data = { keyId, accountId, name, sha256: sha256Hex(key) };
      await store.append(
        streamId("apikey", keyId),
        [
          {
            id: newEventId(),
            type: "ApiKeyIssued",
            schemaVersion: eventTypes.ApiKeyIssued.schemaVersion,
            occurredAt: now().toISOString(),
            correlationId: keyId,
            causationId: null,
            accountId,
            data,
          },
        ],
        { expectedVersion: 0 },
      );
      onAppended();
      await views.keys.update(
        keyId,
        (current) => current ?? { id: keyId, accountId, name, sha256: data.sha256, revoked: false },
      );
      return { id: keyId, key };
    },
  };
};

export type AccountService = ReturnType<typeof accountService>;
