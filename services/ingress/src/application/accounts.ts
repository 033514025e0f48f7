import {
  type AccountSnapshot,
  formatUsd,
  newAccountId,
  newApiKey,
  newEventId,
  newKeyId,
  sha256Hex,
  streamId,
} from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { toNewEvents } from "@reelgate/runtime";
import type { BillingClient } from "../adapters/billing-client.ts";
import { notFound } from "../domain/errors.ts";
import { toLedgerEntry } from "../views/ledger-entry.ts";
import { fromVideoEventRow, historyItem, historyPrefixOf, orderHistory } from "../views/video-history.ts";
import { toVideoObject } from "../views/video-object.ts";
import { isRequested } from "../views/video-view.ts";
import type { KeyView, Views } from "../views/views.ts";

export const accountJson = (account: AccountSnapshot) => ({
  id: account.accountId,
  name: account.name,
  balance_usd: formatUsd(account.balanceMicros),
  reserved_usd: formatUsd(account.reservedMicros),
});

/** Admin use cases: accounts live in billing; API keys are ingress's own; a video's history is ingress's projection. */
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
      const meta = { commitId: `issue:${keyId}`, correlationId: keyId, causationId: null, accountId, now: now() };
      await store.append(streamId("apikey", keyId), toNewEvents([{ type: "ApiKeyIssued", data }], meta), {
        expectedVersion: 0,
      });
      onAppended();
      await views.keys.update(
        keyId,
        (current) => current ?? { id: keyId, accountId, name, sha256: data.sha256, revoked: false },
      );
      return { id: keyId, key };
    },

    /** A top-up (positive) or an adjustment (negative), answered once billing has made it durable. */
    async credit(accountId: string, amountMicros: number, reference: string) {
      return remember(await billing.credit({ accountId, amountMicros, reference }));
    },

    /** A page of the account's billing events, oldest first; `after` is the version of the last entry read. */
    async ledger(accountId: string, { after, limit }: { after: number; limit: number }) {
      const page = await billing.ledger({ accountId, afterVersion: after, limit });
      // Billing knows an account is unknown only from its first page; past the end of a known one the page is just empty.
      if (page.events.length === 0 && after > 0) await billing.getAccount(accountId);
      return { object: "list" as const, data: page.events.map(toLedgerEntry), has_more: page.hasMore };
    },

    /**
     * Revokes a key: ApiKeyRevoked on its own stream (once, however often asked), and the keys view
     * updated inline so the key stops opening the API with this very answer.
     */
    async revokeKey(keyId: string) {
      const stream = streamId("apikey", keyId);
      const [issued] = await store.readStream(stream, 0, 1);
      if (issued?.type !== "ApiKeyIssued") throw notFound(`API key with id '${keyId}'`);
      const { accountId, name, sha256 } = issued.data as Omit<KeyView, "id" | "revoked">;
      const meta = { commitId: `revoke:${keyId}`, correlationId: keyId, causationId: null, accountId, now: now() };
      await store.append(stream, toNewEvents([{ type: "ApiKeyRevoked", data: { keyId } }], meta), {
        expectedVersion: "any",
        commitId: meta.commitId,
      });
      onAppended();
      await views.keys.update(keyId, (current) =>
        current?.revoked ? undefined : { ...(current ?? { id: keyId, accountId, name, sha256 }), revoked: true },
      );
      return { id: keyId, object: "api_key.deleted" as const, deleted: true as const };
    },

    /** A video with every event about it that ingress has heard of, from all four services, oldest first. */
    async videoHistory(videoId: string) {
      const found = await views.videos.get(videoId);
      // Not served until its request reached the read model (other services' events may come first).
      if (!found || !isRequested(found.doc)) throw notFound(`video with id '${videoId}'`);
      const rows = await views.videoEvents.find({ idPrefix: historyPrefixOf(videoId) });
      const events = rows.map(fromVideoEventRow);
      return {
        ...toVideoObject(found.doc),
        account_id: found.doc.accountId,
        deleted: found.doc.deleted,
        events: orderHistory(events).map(historyItem),
      };
    },
  };
};

export type AccountService = ReturnType<typeof accountService>;
