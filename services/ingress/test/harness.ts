import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { inputImageReader } from "../src/adapters/input-image/index.ts";
import type { IngressDeps } from "../src/app.ts";
import { openViews, type Views } from "../src/views/views.ts";
import { buildTestApp } from "./support/test-app.ts";

export const KEY = "rg-test-key";
export const POOR_KEY = "rg-poor-key";
export const OTHER_KEY = "rg-other-key";
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef";
export const BOUNDARY = "reelgate-test-boundary";

export type Part = { name: string; value: string | Buffer; filename?: string };
/** A multipart/form-data body, written by hand so a test controls every byte. */
export const form = (parts: Part[]) =>
  Buffer.concat([
    ...parts.flatMap(({ name, value, filename }) => [
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n` +
          (filename ? "Content-Type: application/octet-stream\r\n" : "") +
          "\r\n",
      ),
      Buffer.isBuffer(value) ? value : Buffer.from(value),
      Buffer.from("\r\n"),
    ]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
export const multipartHeaders = { "content-type": `multipart/form-data; boundary=${BOUNDARY}` };

/**
 * Ingress in process on real SQLite stores and file storage, with the real image reader (loopback allowed, so a
 * test can serve images): account acct_1 (KEY) holds $100, acct_poor (POOR_KEY) holds nothing.
 */
export const ingress = async (overrides: Partial<IngressDeps> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "reelgate-ingress-"));
  const store = openSqliteEventStore(join(dir, "events.db"));
  const documents = openSqliteDocumentStore(join(dir, "views.db"));
  const views: Views = await openViews(documents);
  for (const [id, accountId, key, balanceMicros] of [
    ["key_1", "acct_1", KEY, 100_000_000],
    ["key_poor", "acct_poor", POOR_KEY, 0],
    ["key_2", "acct_2", OTHER_KEY, 100_000_000],
  ] as const) {
    await views.keys.put({ id, accountId, name: "test", sha256: sha256Hex(key), revoked: false }, null);
    await views.balances.put({ id: accountId, name: "test", version: 2, balanceMicros, reservedMicros: 0 }, null);
  }
  const media = join(dir, "media");
  const objects = fileStorage(media);
  const app = await buildTestApp(
    { store, views, objects },
    {
      images: inputImageReader({ allowedCidrs: ["127.0.0.0/8"], timeoutMs: 5_000 }),
      adminToken: ADMIN_TOKEN,
      bodyLimitBytes: 8 * 1024 * 1024,
      rateLimitPerMinute: 1000,
      ...overrides,
    },
  );
  /** Every file under the media directory: what a request left in object storage. */
  const storedFiles = () => {
    try {
      return readdirSync(media, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name);
    } catch {
      return [];
    }
  };
  return {
    app,
    store,
    views,
    objects,
    storedFiles,
    /** Videos recorded (VideoRequested events) — nothing for a refused request. */
    recorded: () => store.countAll({ category: "task" }),
    async close() {
      await app.close();
      await documents.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

export type Ingress = Awaited<ReturnType<typeof ingress>>;
