import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "@reelgate/contracts";
import { openSqliteDocumentStore } from "@reelgate/documents";
import { openSqliteEventStore } from "@reelgate/event-store";
import { fileStorage } from "@reelgate/object-storage";
import type { FastifyRequest, RouteOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { openViews } from "../src/views/views.ts";
import { buildTestApp } from "./support/test-app.ts";

const KEY = "rg-schema-key";
const BOUNDARY = "reelgate-schema-boundary";
const auth = { authorization: `Bearer ${KEY}` };

const form = (fields: Record<string, string>) => {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return Buffer.from(`${parts.join("")}--${BOUNDARY}--\r\n`);
};

/**
 * Ingress in process on real SQLite, every route's handler wrapped (through `onRoute`) to record what it was
 * given: what reaches a handler is what fastify's zod validation let through, already parsed.
 */
const ingress = async () => {
  const dir = mkdtempSync(join(tmpdir(), "reelgate-schemas-"));
  const store = openSqliteEventStore(join(dir, "events.db"));
  const documents = openSqliteDocumentStore(join(dir, "views.db"));
  const views = await openViews(documents);
  await views.keys.put({ id: "key_1", accountId: "acct_1", name: "t", sha256: sha256Hex(KEY), revoked: false }, null);
  await views.balances.put(
    { id: "acct_1", name: "t", version: 2, balanceMicros: 100_000_000, reservedMicros: 0 },
    null,
  );
  const handled: { url: string; body: unknown; query: unknown }[] = [];
  const onRoute = (route: RouteOptions) => {
    const handler = route.handler;
    route.handler = function (this: unknown, request: FastifyRequest, reply) {
      handled.push({ url: route.url, body: request.body, query: request.query });
      return handler.call(this as never, request, reply);
    };
  };
  const app = await buildTestApp({ store, views, objects: fileStorage(join(dir, "media")) }, { onRoute });
  return {
    app,
    store,
    handled,
    async close() {
      await app.close();
      await documents.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

describe("route schemas: one zod schema validates, types and documents each request", () => {
  let api: Awaited<ReturnType<typeof ingress>>;
  afterEach(async () => api?.close());

  it("refuses a bad querystring with OpenAI's 400 before the handler runs, and hands the handler the parsed query", async () => {
    api = await ingress();
    const bad = await api.app.inject({ method: "GET", url: "/v1/videos?limit=lots", headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: {
        message: `Invalid type for 'limit': expected number, but got a string ("lots").`,
        type: "invalid_request_error",
        param: "limit",
        code: "invalid_type",
      },
    });
    const unknown = await api.app.inject({ method: "GET", url: "/v1/videos?colour=red", headers: auth });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ param: "colour", code: "unknown_parameter" });
    expect(api.handled).toEqual([]);

    const good = await api.app.inject({ method: "GET", url: "/v1/videos?limit=5", headers: auth });
    expect(good.statusCode).toBe(200);
    // Coerced and defaulted by the schema: a number, and the order the client left out.
    expect(api.handled).toEqual([{ url: "/v1/videos", body: undefined, query: { limit: 5, order: "desc" } }]);
  });

  it("validates a multipart create with the JSON create's schema: the same refusal, the same parsed body", async () => {
    api = await ingress();
    const multipart = (fields: Record<string, string>) =>
      api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
        payload: form(fields),
      });
    const json = (body: object) => api.app.inject({ method: "POST", url: "/v1/videos", headers: auth, payload: body });

    const badForm = await multipart({ prompt: "a cat", colour: "red" });
    const badJson = await json({ prompt: "a cat", colour: "red" });
    expect(badForm.statusCode).toBe(400);
    expect(badForm.json()).toEqual(badJson.json());
    expect(badForm.json().error).toEqual({
      message: "Unknown parameter: 'colour'.",
      type: "invalid_request_error",
      param: "colour",
      code: "unknown_parameter",
    });
    const missing = await multipart({ model: "sora-2" });
    expect(missing.json().error).toMatchObject({ param: "prompt", code: "missing_required_parameter" });
    expect(api.handled).toEqual([]);

    // Not refused for being a form: it reaches the handler parsed (prompt trimmed, defaults filled in).
    const created = await multipart({ prompt: "  a cat  ", seconds: "4", size: "720x1280" });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ object: "video", prompt: "a cat", seconds: "4", task_status: "succeed" });
    expect(api.handled).toEqual([
      {
        url: "/v1/videos",
        body: {
          kind: "create",
          create: { model: "sora-2", prompt: "a cat", seconds: "4", size: "720x1280", input_fit: "cover" },
          imageUrl: undefined,
        },
        query: {},
      },
    ]);
    expect(await api.store.countAll({ category: "task" })).toBe(1);
  });

  it("serialises answers through their schema: a video has exactly the Video fields", async () => {
    api = await ingress();
    const created = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth,
      payload: { prompt: "a cat", seconds: "4", size: "720x1280" },
    });
    const id = created.json().id as string;
    const video = await api.app.inject({ method: "GET", url: `/v1/videos/${id}`, headers: auth });
    expect(video.statusCode).toBe(200);
    expect(Object.keys(video.json()).sort()).toEqual(
      [
        "completed_at",
        "created_at",
        "error",
        "expires_at",
        "id",
        "model",
        "object",
        "progress",
        "prompt",
        "remixed_from_video_id",
        "seconds",
        "size",
        "status",
      ].sort(),
    );
  });

  it("documents the request schemas the routes validate with in /openapi.json", async () => {
    api = await ingress();
    const document = (await api.app.inject({ method: "GET", url: "/openapi.json" })).json();
    const create = document.paths["/v1/videos"].post;
    const bodies = create.requestBody.content;
    expect(Object.keys(bodies).sort()).toEqual(["application/json", "multipart/form-data"]);
    const [openAi, legacyRemix] = bodies["application/json"].schema.anyOf;
    expect(openAi).toMatchObject({ type: "object", required: ["prompt"], additionalProperties: false });
    expect(Object.keys(openAi.properties)).toEqual(
      expect.arrayContaining(["model", "prompt", "seconds", "size", "input_reference", "input_fit"]),
    );
    expect(legacyRemix.required).toEqual(["model", "prompt", "video_id"]);
    expect(create.responses["200"].content["application/json"].schema.required).toContain("id");
    expect(create.responses["4XX"]).toMatchObject({ description: "An error in OpenAI's shape" });
    expect(create.security).toEqual([{ apiKey: [] }]);

    const list = document.paths["/v1/videos"].get;
    expect(list.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: "query", name: "limit", schema: expect.objectContaining({ maximum: 100 }) }),
        expect.objectContaining({ in: "query", name: "order" }),
      ]),
    );
    const remix = document.paths["/v1/videos/{id}/remix"].post;
    expect(remix.parameters).toEqual([expect.objectContaining({ in: "path", name: "id", required: true })]);
    expect(remix.requestBody.content["application/json"].schema).toMatchObject({ required: ["prompt"] });
    const content = document.paths["/v1/videos/{id}/content"].get.responses["200"].content;
    expect(content["video/mp4"].schema).toEqual({ type: "string", format: "binary" });
  });
});
