import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "@reelgate/contracts";
import { type DocumentStore, openSqliteDocumentStore } from "@reelgate/documents";
import type { FastifyRequest } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../src/http/api-error.ts";
import { authenticate } from "../src/http/auth.ts";
import { openViews, type Views } from "../src/views/views.ts";

const KEY = "rg-revocation-test-key";
const OTHER = "rg-revocation-other-key";
const asking = (key: string) => ({ headers: { authorization: `Bearer ${key}` } }) as unknown as FastifyRequest;

/** Two replicas on one views database: what one revokes, the other refuses on its very next request. */
describe("API-key lookup by the key's hash", () => {
  let dir: string;
  let stores: DocumentStore[];
  let replicaA: Views;
  let replicaB: Views;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "reelgate-auth-"));
    stores = [openSqliteDocumentStore(join(dir, "views.db")), openSqliteDocumentStore(join(dir, "views.db"))];
    replicaA = await openViews(stores[0]!);
    replicaB = await openViews(stores[1]!);
    await replicaA.keys.put(
      { id: "key_1", accountId: "acct_1", name: "a", sha256: sha256Hex(KEY), revoked: false },
      null,
    );
    await replicaA.keys.put(
      { id: "key_2", accountId: "acct_1", name: "b", sha256: sha256Hex(OTHER), revoked: false },
      null,
    );
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens the API with a live key, and refuses a revoked one at once on every replica", async () => {
    expect(await authenticate(asking(KEY), replicaA)).toEqual({ accountId: "acct_1", keyId: "key_1" });
    expect(await authenticate(asking(KEY), replicaB)).toEqual({ accountId: "acct_1", keyId: "key_1" });
    await replicaB.keys.update("key_1", (current) => current && { ...current, revoked: true });
    let failures = 0;
    const counted = async () => {
      failures++;
    };
    for (const replica of [replicaA, replicaB]) {
      const refused = await authenticate(asking(KEY), replica, counted).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).status).toBe(401);
    }
    expect(failures).toBe(2);
    // The account's other key is untouched; an unknown key is refused as a revoked one is.
    expect(await authenticate(asking(OTHER), replicaA)).toEqual({ accountId: "acct_1", keyId: "key_2" });
    await expect(authenticate(asking("rg-unknown"), replicaA)).rejects.toBeInstanceOf(ApiError);
  });
  it("keeps refusing and admitting exactly through the keys' read cache, however often a key is read", async () => {
    // Warm both replicas' caches with many reads of each key.
    for (let i = 0; i < 20; i++) {
      expect(await authenticate(asking(KEY), replicaA)).toEqual({ accountId: "acct_1", keyId: "key_1" });
      expect(await authenticate(asking(OTHER), replicaB)).toEqual({ accountId: "acct_1", keyId: "key_2" });
    }
    // Revoked through replica A's own connection (as the admin API does): A and B refuse it on the next request.
    await replicaA.keys.update("key_1", (current) => current && { ...current, revoked: true });
    for (const replica of [replicaA, replicaB])
      await expect(authenticate(asking(KEY), replica)).rejects.toBeInstanceOf(ApiError);
    // Revoked through replica B: both refuse it too.
    await replicaB.keys.update("key_2", (current) => current && { ...current, revoked: true });
    for (const replica of [replicaA, replicaB])
      await expect(authenticate(asking(OTHER), replica)).rejects.toBeInstanceOf(ApiError);
    // A key issued on one replica is admitted by the other at once (a cached miss is not remembered).
    const NEW = "rg-revocation-new-key";
    await expect(authenticate(asking(NEW), replicaB)).rejects.toBeInstanceOf(ApiError);
    await replicaA.keys.put(
      { id: "key_3", accountId: "acct_2", name: "c", sha256: sha256Hex(NEW), revoked: false },
      null,
    );
    expect(await authenticate(asking(NEW), replicaB)).toEqual({ accountId: "acct_2", keyId: "key_3" });
  });
});
