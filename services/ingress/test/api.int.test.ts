import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { sha256Hex } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import type { RouteOptions } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InputImageReader } from "../src/adapters/input-image/index.ts";
import { inputImageReader } from "../src/adapters/input-image/index.ts";
import { multipartFieldSize } from "../src/app.ts";
import { ApiError } from "../src/http/api-error.ts";
import { PENDING_LEASE_MS } from "../src/http/idempotency.ts";
import { openViews, type Views } from "../src/views/views.ts";
import { buildTestApp } from "./support/test-app.ts";
import { wholePngWith } from "./whole-images.ts";

const KEY = "rg-test-key";
const BOUNDARY = "reelgate-test-boundary";

type Part = { name: string; value: string | Buffer; filename?: string };
/** A multipart/form-data body, written by hand so a test controls every byte. */
const form = (parts: Part[]) =>
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

const pngOf = (payloadBytes: number) => wholePngWith(Buffer.alloc(payloadBytes, 7));

/** Ingress in process, on real SQLite stores and files; billing is not reached by these routes. */
const ingress = async ({
  rateLimitPerMinute = 1000,
  bodyLimitBytes = 1024 * 1024,
  images = {
    receive: () => Promise.reject(new ApiError(400, "no images in this test")),
    read: () => Promise.reject(new ApiError(400, "no images in this test")),
    fit: (image) => Promise.resolve(image),
  } as InputImageReader,
  onRoute = undefined as ((route: RouteOptions) => void) | undefined,
  supports = undefined as ((model: string, operation: string) => boolean) | undefined,
} = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "reelgate-ingress-"));
  const store = openSqliteEventStore(join(dir, "events.db"));
  const documents = openSqliteDocumentStore(join(dir, "views.db"));
  const views: Views = await openViews(documents);
  await views.keys.put(
    { id: "key_1", accountId: "acct_1", name: "test", sha256: sha256Hex(KEY), revoked: false },
    null,
  );
  await views.balances.put(
    { id: "acct_1", name: "test", version: 2, balanceMicros: 100_000_000, reservedMicros: 0 },
    null,
  );
  const app = await buildTestApp(
    { store, views, objects: fileStorage(join(dir, "media")) },
    {
      images,
      // Present so its routes are registered (and documented); no test here calls them.
      deadLetters: {
        page: () => Promise.reject(new Error("not used")),
        replay: () => Promise.reject(new Error("not used")),
      },
      bodyLimitBytes,
      rateLimitPerMinute,
      ...(onRoute ? { onRoute } : {}),
      ...(supports ? { supports } : {}),
    },
  );
  return {
    app,
    store,
    views,
    create: (body: object, headers: Record<string, string> = {}) =>
      app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: { authorization: `Bearer ${KEY}`, ...headers },
        payload: body,
      }),
    multipart: (payload: Buffer | Readable, headers: Record<string, string> = {}) =>
      app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: {
          authorization: `Bearer ${KEY}`,
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
          ...headers,
        },
        payload,
      }),
    async close() {
      await app.close();
      await documents.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

describe("ingress API in process", () => {
  let api: Awaited<ReturnType<typeof ingress>>;
  afterEach(async () => api?.close());

  describe("Idempotency-Key", () => {
    beforeEach(async () => {
      api = await ingress();
    });

    it("answers a repeated create with the first response and creates nothing new", async () => {
      const first = await api.create({ prompt: "once" }, { "idempotency-key": "k1" });
      const again = await api.create({ prompt: "once" }, { "idempotency-key": "k1" });
      expect(first.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      expect(await api.store.countAll({ category: "task" })).toBe(1);
    });

    it("refuses the same key with another body, and keeps keys apart from each other", async () => {
      await api.create({ prompt: "once" }, { "idempotency-key": "k1" });
      const clash = await api.create({ prompt: "something else" }, { "idempotency-key": "k1" });
      expect(clash.statusCode).toBe(409);
      expect(clash.json().error.code).toBe("idempotency_key_reused");
      expect((await api.create({ prompt: "once" }, { "idempotency-key": "k2" })).statusCode).toBe(200);
      expect(await api.store.countAll({ category: "task" })).toBe(2);
    });

    it("takes over from an attempt that died after recording the video: the same video, nothing new", async () => {
      const first = await api.create({ prompt: "crash" }, { "idempotency-key": "k4" });
      expect(first.statusCode).toBe(200);
      // What a crash between the append and the answer leaves: the video recorded, the key still pending.
      const [record] = await api.views.idempotency.find({});
      const pending = { ...record!, state: "pending" as const, response: null };
      await api.views.idempotency.put({ ...pending, leaseUntil: Date.now() + PENDING_LEASE_MS }, 2);
      expect((await api.create({ prompt: "crash" }, { "idempotency-key": "k4" })).statusCode).toBe(409);
      // Its holder stopped renewing the lease (it died): the lease ran out.
      await api.views.idempotency.put({ ...pending, leaseUntil: Date.now() - 1 }, 3);
      const retried = await api.create({ prompt: "crash" }, { "idempotency-key": "k4" });
      expect(retried.statusCode).toBe(200);
      expect(retried.json().id).toBe(first.json().id);
      expect(await api.store.countAll({ category: "task" })).toBe(1);
      expect((await api.create({ prompt: "crash" }, { "idempotency-key": "k4" })).json()).toEqual(retried.json());
    });

    it("lets a refused request be retried with the same key", async () => {
      expect((await api.create({ prompt: "x", seconds: "5" }, { "idempotency-key": "k3" })).statusCode).toBe(400);
      expect((await api.create({ prompt: "x", seconds: "4" }, { "idempotency-key": "k3" })).statusCode).toBe(200);
    });
  });

  describe("rate limiting", () => {
    it("answers 429 with Retry-After in OpenAI's shape once a key is over its limit", async () => {
      api = await ingress({ rateLimitPerMinute: 3 });
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof api.create>> | undefined;
      for (let i = 0; i < 4; i++) {
        const response = await api.app.inject({
          method: "GET",
          url: "/v1/videos",
          headers: { authorization: `Bearer ${KEY}` },
        });
        statuses.push(response.statusCode);
        if (response.statusCode === 429) limited = response;
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(limited?.headers["retry-after"])).toBeGreaterThan(0);
      expect(limited?.json().error).toMatchObject({ code: "rate_limit_exceeded" });
      const other = await api.app.inject({
        method: "GET",
        url: "/v1/videos",
        headers: { authorization: "Bearer another-key" },
      });
      expect(other.statusCode).toBe(401);
    });
  });

  describe("multipart limits", () => {
    const IMAGE_MAX = 64 * 1024;
    beforeEach(async () => {
      api = await ingress({ images: inputImageReader({ maxBytes: IMAGE_MAX }) });
    });
    const errorOf = (response: { json(): unknown }) =>
      (response.json() as { error: { message: string; type: string; param: string | null; code: string | null } })
        .error;

    it("takes a bare-base64 text field as long as the image cap allows, whole", async () => {
      const image = pngOf(IMAGE_MAX - 100);
      expect(image.toString("base64").length).toBeGreaterThan(64 * 1024);
      const response = await api.multipart(
        form([
          { name: "prompt", value: "from a text field" },
          { name: "input_reference", value: image.toString("base64") },
        ]),
      );
      expect(response.statusCode, response.body).toBe(200);
      expect(await api.store.countAll({ category: "task" })).toBe(1);
    });

    it("sizes text fields to the image cap: base64 of a 2 MiB image is not cut at 1 MiB", async () => {
      await api.close();
      api = await ingress({ images: inputImageReader({ maxBytes: 3 * 1024 * 1024 }), bodyLimitBytes: 8 * 1024 * 1024 });
      const image = pngOf(2 * 1024 * 1024);
      const response = await api.multipart(
        form([
          { name: "prompt", value: "big" },
          { name: "input_reference", value: image.toString("base64") },
        ]),
      );
      expect(response.statusCode, response.body).toBe(200);
      expect(await api.store.countAll({ category: "task" })).toBe(1);
    });

    it("refuses a text field longer than the field limit with 413 naming it, instead of cutting it", async () => {
      const fieldSize = multipartFieldSize(IMAGE_MAX);
      // A PNG whose base64 is over the field limit: cut at the limit it would still decode (and was stored, before).
      const image = pngOf(Math.ceil((fieldSize * 3) / 4));
      for (const [name, value] of [
        ["input_reference", image.toString("base64")],
        ["input_reference", `data:image/png;base64,${image.toString("base64")}`],
        ["prompt", "x".repeat(fieldSize + 1)],
      ] as const) {
        const fields =
          name === "prompt"
            ? [{ name, value }]
            : [
                { name: "prompt", value: "p" },
                { name, value },
              ];
        const response = await api.multipart(form(fields));
        expect(response.statusCode, `${name}: ${response.body}`).toBe(413);
        expect(errorOf(response)).toMatchObject({
          param: name,
          code: "field_too_large",
          type: "invalid_request_error",
        });
      }
      expect(await api.store.countAll()).toBe(0);
    });

    it("refuses a multipart body over the body limit by its Content-Length, before reading it", async () => {
      const body = form([
        { name: "prompt", value: "p" },
        { name: "notes", value: "n".repeat(1024 * 1024) },
      ]);
      const response = await api.multipart(body);
      expect(response.statusCode).toBe(413);
      expect(errorOf(response)).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
      expect(await api.store.countAll()).toBe(0);
    });

    it("counts the bytes of a chunked multipart body and stops at the limit", async () => {
      // Many fields, each under every per-part limit, with no Content-Length: only the count can stop them.
      const fields = Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, value: "y".repeat(40 * 1024) }));
      const body = form([{ name: "prompt", value: "p" }, ...fields]);
      expect(body.length).toBeGreaterThan(1024 * 1024);
      const chunks = Array.from({ length: Math.ceil(body.length / 16384) }, (_, i) =>
        body.subarray(i * 16384, (i + 1) * 16384),
      );
      const response = await api.multipart(Readable.from(chunks), { "transfer-encoding": "chunked" });
      expect(response.statusCode, response.body).toBe(413);
      expect(errorOf(response)).toMatchObject({ code: "request_too_large" });
      expect(await api.store.countAll()).toBe(0);
    });

    it("refuses a file part over the body limit with 413", async () => {
      const response = await api.multipart(
        Readable.from([
          form([
            { name: "prompt", value: "p" },
            { name: "input_reference", value: pngOf(2 * 1024 * 1024), filename: "big.png" },
          ]),
        ]),
      );
      expect(response.statusCode).toBe(413);
      expect(await api.store.countAll()).toBe(0);
    });

    it.each([
      ["two file parts", [{ filename: "a.png" }, { filename: "b.png" }]],
      ["a file part and a text field", [{ filename: "a.png" }, {}]],
      ["a text field and an input_reference[image_url] field", [{}, { name: "input_reference[image_url]" }]],
    ])("refuses a second input_reference (%s) with 400", async (_name, shapes) => {
      const image = pngOf(100);
      const parts: Part[] = shapes.map((shape: { filename?: string; name?: string }) => ({
        name: shape.name ?? "input_reference",
        value: shape.filename ? image : `data:image/png;base64,${image.toString("base64")}`,
        ...(shape.filename ? { filename: shape.filename } : {}),
      }));
      const response = await api.multipart(form([{ name: "prompt", value: "p" }, ...parts]));
      expect(response.statusCode, response.body).toBe(400);
      expect(errorOf(response)).toMatchObject({ param: "input_reference", code: "duplicate_parameter" });
      expect(await api.store.countAll()).toBe(0);
    });
  });

  it("documents every route it serves in /openapi.json (routes collected as they are registered)", async () => {
    const registered: string[] = [];
    const hidden: string[] = [];
    const unschematised: string[] = [];
    api = await ingress({
      onRoute: (route) => {
        const path = route.url.replace(/:([A-Za-z_]+)/g, "{$1}");
        for (const method of [route.method].flat()) {
          if (method === "HEAD") continue; // fastify's automatic twins of GET routes
          if ((route.schema as { hide?: boolean } | undefined)?.hide) hidden.push(`${method} ${path}`);
          else if (!route.schema) unschematised.push(`${method} ${path}`);
          else registered.push(`${method} ${path}`);
        }
      },
    });
    const document = (await api.app.inject({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(registered.length).toBeGreaterThan(10);
    expect(registered).toContain("POST /v1/videos");
    expect(registered).toContain("GET /v1/videos/{id}/content");
    expect(registered).toContain("POST /admin/v1/dead_letters/replay");
    expect(new Set(documented)).toEqual(new Set(registered));
    // No route goes without a schema, and only the docs themselves are hidden: a new API route
    // registered without its schema fails here instead of going undocumented.
    expect(unschematised).toEqual([]);
    for (const route of hidden) expect(route).toMatch(/^GET \/(docs|openapi\.json)/);
  });

  it("refuses an operation the model's providers cannot do with 400 unsupported_operation, recording nothing", async () => {
    const asked: string[] = [];
    api = await ingress({
      supports: (model, operation) => {
        asked.push(`${model} ${operation}`);
        return operation !== "text-to-video";
      },
    });
    const response = await api.create({ model: "sora-2", prompt: "a cat", seconds: "4", size: "720x1280" });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: "unsupported_operation", param: "model", message: expect.stringContaining("sora-2") },
    });
    expect(asked).toEqual(["sora-2 text-to-video"]);
    expect((await api.views.videos.sum("pendingQuoteMicros", { accountId: "acct_1" })) ?? 0).toBe(0);
    const list = await api.app.inject({
      method: "GET",
      url: "/v1/videos",
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(list.json().data).toEqual([]);
  });

  it("serves no operations endpoint on the public port: /metrics, /readyz and /healthz are on the operations port", async () => {
    api = await ingress();
    for (const url of ["/metrics", "/readyz", "/healthz"]) {
      const response = await api.app.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error, url).toMatchObject({ type: "not_found_error" });
    }
  });

  it("caps request bodies with a 413 in the error shape", async () => {
    api = await ingress();
    const response = await api.create({ prompt: "x".repeat(2 * 1024 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe("request_too_large");
    expect(await api.store.countAll()).toBe(0);
  });

  it("names the request id in the header of every answer", async () => {
    api = await ingress();
    const response = await api.create({ prompt: "hello" });
    const error = await api.app.inject({ method: "GET", url: "/v1/videos/video_nope" });
    expect(response.headers["x-request-id"]).toMatch(/^req_/);
    expect(error.headers["x-request-id"]).toMatch(/^req_/);
    const echoed = await api.app.inject({
      method: "GET",
      url: "/openapi.json",
      headers: { "x-request-id": "req_mine" },
    });
    expect(echoed.headers["x-request-id"]).toBe("req_mine");
  });
});
