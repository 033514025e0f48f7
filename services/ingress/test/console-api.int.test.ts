import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInCatalog, sha256Hex } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import { afterEach, describe, expect, it } from "vitest";
import type { IngressDeps } from "../src/app.ts";
import { mediaOrigins } from "../src/http/routes/console.ts";
import { historyRowId, type VideoEventView } from "../src/views/video-history.ts";
import { openViews } from "../src/views/views.ts";
import { buildTestApp, stubBilling } from "./support/test-app.ts";

const KEY = "rg-console-test-key";
const NOW = Date.parse("2026-06-01T12:00:00.000Z");

/** Ingress in process on real SQLite; billing answers only what these routes ask. */
const ingress = async (extra: Partial<IngressDeps> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "reelgate-console-api-"));
  const store = openSqliteEventStore(join(dir, "events.db"));
  const documents = openSqliteDocumentStore(join(dir, "views.db"));
  const views = await openViews(documents);
  await views.keys.put({ id: "key_1", accountId: "acct_1", name: "t", sha256: sha256Hex(KEY), revoked: false }, null);
  const snapshot = { accountId: "acct_1", name: "one", version: 3, balanceMicros: 7_000_000, reservedMicros: 400_000 };
  const app = await buildTestApp(
    { store, views, objects: fileStorage(join(dir, "media")) },
    {
      billing: stubBilling({ getAccount: async () => snapshot, ledger: async () => ({ events: [], hasMore: false }) }),
      catalog: { ...builtInCatalog, accountMultipliers: { acct_1: 0.5 } },
      now: () => new Date(NOW),
      rateLimitPerMinute: 1000,
      ...extra,
    },
  );
  return {
    app,
    views,
    dir,
    get: (url: string, token = KEY) =>
      app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } }),
    async close() {
      await app.close();
      await documents.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const jobEvent = (id: string, videoId: string, type: string, agoMs: number, data: object = {}): VideoEventView => ({
  id,
  videoId,
  type,
  stream: `job-${videoId}`,
  version: 1,
  occurredAt: new Date(NOW - agoMs).toISOString(),
  occurredAtMs: NOW - agoMs,
  causationId: null,
  data: { videoId, ...data },
});

describe("the API the console needs", () => {
  let api: Awaited<ReturnType<typeof ingress>> | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it("lists the catalog's models in OpenAI's shape, with sizes, seconds and the caller's prices", async () => {
    api = await ingress();
    const list = await api.get("/v1/models");
    expect(list.statusCode).toBe(200);
    const ids = list.json().data.map((model: { id: string }) => model.id);
    expect(ids).toEqual([...new Set(builtInCatalog.models.map((entry) => entry.model))]);
    const one = await api.get("/v1/models/sora-2");
    expect(one.json()).toMatchObject({
      id: "sora-2",
      object: "model",
      owned_by: "reelgate",
      created: Math.floor(NOW / 1000),
      sizes: ["720x1280", "1280x720"],
      seconds: ["4", "8", "12"],
    });
    // $0.10 a second at half price for this account.
    expect(one.json().prices).toContainEqual({ size: "720x1280", seconds: "4", price_usd: "0.200000" });
    expect(one.json().prices).toHaveLength(6);
    expect((await api.get("/v1/models/nope")).statusCode).toBe(404);
    expect((await api.get("/v1/models", "rg-wrong")).statusCode).toBe(401);
  });

  it("answers the caller's own balance", async () => {
    api = await ingress();
    expect((await api.get("/v1/account")).json()).toEqual({
      id: "acct_1",
      name: "one",
      balance_usd: "7.000000",
      reserved_usd: "0.400000",
    });
    expect((await api.get("/v1/account/ledger")).json()).toEqual({ object: "list", data: [], has_more: false });
  });

  it("pages every account by id for the admin only", async () => {
    api = await ingress();
    for (const n of [3, 1, 2])
      await api.views.balances.put(
        { id: `acct_${n}`, name: `n${n}`, version: 1, balanceMicros: n * 1_000_000, reservedMicros: 0 },
        null,
      );
    const first = (await api.get("/admin/v1/accounts?limit=2", "admin")).json();
    expect(first.data.map((account: { id: string }) => account.id)).toEqual(["acct_1", "acct_2"]);
    expect(first.has_more).toBe(true);
    expect(first.data[0]).toEqual({ id: "acct_1", name: "n1", balance_usd: "1.000000", reserved_usd: "0.000000" });
    const second = (await api.get("/admin/v1/accounts?limit=2&after=acct_2", "admin")).json();
    expect(second).toEqual({
      object: "list",
      data: [{ id: "acct_3", name: "n3", balance_usd: "3.000000", reserved_usd: "0.000000" }],
      has_more: false,
    });
    expect((await api.get("/admin/v1/accounts")).statusCode).toBe(401);
    expect((await api.get("/admin/v1/accounts?limit=0", "admin")).statusCode).toBe(400);
  });

  it("counts each channel's jobs in flight and errors of the last hour from the video events", async () => {
    api = await ingress({
      channels: () => [
        { id: "alpha", provider: "openai", disabled: false, max_concurrent: 4 },
        { id: "beta", provider: "azure", disabled: true },
      ],
    });
    const events = [
      jobEvent("e1", "video_a", "JobSubmitted", 30 * 60_000, { channelId: "alpha" }),
      jobEvent("e2", "video_b", "JobSubmitted", 20 * 60_000, { channelId: "alpha" }),
      jobEvent("e3", "video_b", "JobCompleted", 10 * 60_000),
      jobEvent("e4", "video_c", "SubmitAttemptFailed", 5 * 60_000, { channelId: "beta", message: "503 busy" }),
      jobEvent("e5", "video_c", "JobSubmitted", 4 * 60_000, { channelId: "alpha" }),
      jobEvent("e6", "video_c", "JobFailed", 2 * 60_000, { message: "moderation" }),
      // Older than an hour: in flight still counts (within the job deadline), the error does not.
      jobEvent("e7", "video_d", "JobSubmitted", 90 * 60_000, { channelId: "gone" }),
      jobEvent("e8", "video_d", "SubmitAttemptFailed", 80 * 60_000, { channelId: "beta", message: "old" }),
    ];
    for (const { videoId, ...event } of events)
      await api.views.videoEvents.put({ ...event, id: historyRowId(videoId, event.id) }, null);
    const answer = await api.get("/admin/v1/channels", "admin");
    expect(answer.statusCode).toBe(200);
    expect(answer.json().data).toEqual([
      {
        id: "alpha",
        provider: "openai",
        configured: true,
        disabled: false,
        max_concurrent: 4,
        jobs_in_flight: 1,
        errors_last_hour: 1,
        last_error: { message: "moderation", video_id: "video_c", at: new Date(NOW - 2 * 60_000).toISOString() },
      },
      {
        id: "beta",
        provider: "azure",
        configured: true,
        disabled: true,
        max_concurrent: null,
        jobs_in_flight: 0,
        errors_last_hour: 1,
        last_error: { message: "503 busy", video_id: "video_c", at: new Date(NOW - 5 * 60_000).toISOString() },
      },
      {
        id: "gone",
        provider: null,
        configured: false,
        disabled: true,
        max_concurrent: null,
        jobs_in_flight: 1,
        errors_last_hour: 0,
        last_error: null,
      },
    ]);
    expect((await api.get("/admin/v1/channels")).statusCode).toBe(401);
  });

  it("serves the console's files at /console under a strict CSP, and says so when it is not built", async () => {
    const dist = join(mkdtempSync(join(tmpdir(), "reelgate-console-dist-")), "/");
    mkdirSync(join(dist, "assets"));
    writeFileSync(
      join(dist, "index.html"),
      '<!doctype html><script type="module" src="/console/assets/a.js"></script>',
    );
    writeFileSync(join(dist, "assets/a.js"), "console.log(1)");
    api = await ingress({ console: { media: { REELGATE_PUBLIC_URL: "http://media.example:9000" }, distDir: dist } });
    const index = await api.app.inject({ method: "GET", url: "/console/" });
    expect(index.statusCode).toBe(200);
    expect(index.headers["content-type"]).toMatch(/text\/html/);
    const csp = String(index.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("media-src 'self' blob: http://media.example:9000");
    expect(csp).not.toContain("unsafe");
    const script = await api.app.inject({ method: "GET", url: "/console/assets/a.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["cache-control"]).toContain("immutable");
    expect((await api.app.inject({ method: "GET", url: "/console" })).headers.location).toBe("/console/");
    await api.close();
    rmSync(dist, { recursive: true, force: true });

    api = await ingress({ console: { media: {}, distDir: join(tmpdir(), "reelgate-no-such-dist/") } });
    const missing = await api.app.inject({ method: "GET", url: "/console/" });
    expect(missing.statusCode).toBe(503);
    expect(missing.body).toContain("npm run build -w web/console");
  });

  it("allows media from where signed URLs point: ingress, an S3 public base, or the S3 endpoint", () => {
    expect(mediaOrigins({})).toEqual([]);
    expect(mediaOrigins({ REELGATE_PUBLIC_URL: "https://gw.example/base" })).toEqual(["https://gw.example"]);
    expect(mediaOrigins({ S3_BUCKET: "b", S3_PUBLIC_BASE_URL: "https://cdn.example/videos" })).toEqual([
      "https://cdn.example",
    ]);
    expect(mediaOrigins({ S3_BUCKET: "b", S3_ENDPOINT: "http://minio:9000", S3_FORCE_PATH_STYLE: "true" })).toEqual([
      "http://minio:9000",
    ]);
    expect(mediaOrigins({ S3_BUCKET: "b", S3_ENDPOINT: "https://acc.r2.cloudflarestorage.com" })).toEqual([
      "https://acc.r2.cloudflarestorage.com",
      "https://*.acc.r2.cloudflarestorage.com",
    ]);
    expect(mediaOrigins({ S3_BUCKET: "b" })).toEqual(["https://*.amazonaws.com"]);
  });
});
