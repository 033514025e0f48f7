import { join } from "node:path";
import { sha256Hex } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { openViews } from "../src/views/views.ts";
import { buildTestApp } from "./support/test-app.ts";

export const TEST_KEY = "rg-test-key";

/**
 * Ingress in process on the SQLite stores and media files of `dir` (so a second one, or a process that
 * died, can share them), with one account and key; billing is not reached by the create route.
 */
export const inProcessIngress = async (dir: string, { onAppended = (): void => undefined } = {}) => {
  const store = openSqliteEventStore(join(dir, "events.db"));
  const documents = openSqliteDocumentStore(join(dir, "views.db"));
  const views = await openViews(documents);
  await views.keys.update("key_1", (current) =>
    current
      ? undefined
      : { id: "key_1", accountId: "acct_1", name: "test", sha256: sha256Hex(TEST_KEY), revoked: false },
  );
  await views.balances.update("acct_1", (current) =>
    current ? undefined : { id: "acct_1", name: "test", version: 2, balanceMicros: 100_000_000, reservedMicros: 0 },
  );
  const app = await buildTestApp({ store, views, objects: fileStorage(join(dir, "media")) }, { onAppended });
  return {
    app,
    store,
    views,
    create: (body: object, headers: Record<string, string> = {}) =>
      app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: { authorization: `Bearer ${TEST_KEY}`, ...headers },
        payload: body,
      }),
    async close() {
      await app.close();
      await documents.close();
      await store.close();
    },
  };
};
