import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { testNats, waitFor } from "@reelgate/testkit";
import { Validator } from "@seriousme/openapi-schema-validator";
import { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256, startImageHost, tinyPng } from "./images.ts";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
const IMAGE_LIMIT = 64 * 1024;
const BODY_LIMIT = 1024 * 1024;

describe.skipIf(!nats.url)("the public API", () => {
  let platform: Platform;
  let imageHost: Awaited<ReturnType<typeof startImageHost>>;
  beforeAll(async () => {
    imageHost = await startImageHost("127.0.0.2");
    platform = await startPlatform(nats.url!, {
      env: {
        REELGATE_FETCH_ALLOWED_CIDRS: "127.0.0.2/32",
        REELGATE_INPUT_IMAGE_MAX_BYTES: String(IMAGE_LIMIT),
        REELGATE_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      },
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await imageHost?.close();
  });

  const storedInputs = () => {
    try {
      return readdirSync(join(platform.dataDir, "media", "inputs"), { recursive: true, withFileTypes: true }).filter(
        (entry) => entry.isFile(),
      ).length;
    } catch {
      return 0;
    }
  };

  describe("through the openai SDK", () => {
    it("creates, retrieves, lists across pages, remixes, downloads every variant and deletes", async () => {
      const { client } = await platform.account("20");
      const plain = await client.videos.create({ prompt: "plain", seconds: "4" });
      const withImage = await client.videos.create({
        prompt: "animate this",
        seconds: "4",
        input_reference: await toFile(tinyPng, "frame.png", { type: "image/png" }),
      });
      expect(withImage).toMatchObject({ status: "queued", prompt: "animate this" });
      const more = await Promise.all(["a", "b", "c"].map((prompt) => client.videos.create({ prompt, seconds: "4" })));
      const all = [plain, withImage, ...more];

      const done = await waitForEnd(client, plain.id);
      expect(done).toMatchObject({ id: plain.id, status: "completed", progress: 100 });
      expect(await client.videos.retrieve(withImage.id)).toMatchObject({ id: withImage.id, object: "video" });

      const listed: string[] = [];
      for await (const video of client.videos.list({ limit: 2 })) listed.push(video.id);
      expect(listed).toEqual(all.map((video) => video.id).reverse());
      const ascending = await client.videos.list({ limit: 10, order: "asc" });
      expect(ascending.data.map((video) => video.id)).toEqual(all.map((video) => video.id));

      const remix = await client.videos.remix(plain.id, { prompt: "now at night" });
      expect(remix).toMatchObject({ remixed_from_video_id: plain.id, seconds: "4", model: "sora-2", status: "queued" });
      expect((await waitForEnd(client, remix.id)).status).toBe("completed");

      const types: Record<string, string> = {};
      for (const variant of ["video", "thumbnail", "spritesheet"] as const) {
        const content = await client.videos.downloadContent(plain.id, { variant });
        expect((await content.arrayBuffer()).byteLength).toBeGreaterThan(0);
        types[variant] = content.headers.get("content-type") ?? "";
      }
      expect(types.video).toBe("video/mp4");
      expect(types.thumbnail).toMatch(/^image\//);

      expect(await client.videos.delete(remix.id)).toEqual({ id: remix.id, object: "video.deleted", deleted: true });
      await expect(client.videos.retrieve(remix.id)).rejects.toMatchObject({ status: 404 });
      const after: string[] = [];
      for await (const video of client.videos.list({ limit: 100 })) after.push(video.id);
      expect(after).not.toContain(remix.id);
    });

    it("cancels a running job when its video is deleted, and charges nothing", async () => {
      const { client, accountId } = await platform.account("1");
      await platform.simulator("/_control/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jobDurationMs: 120_000 }),
      });
      try {
        const video = await client.videos.create({ prompt: "never finished", seconds: "4" });
        await waitFor("the job to run", async () => (await client.videos.retrieve(video.id)).status === "in_progress");
        await client.videos.delete(video.id);
        await waitFor("the release", async () => (await platform.balance(accountId)).reserved_usd === "0.000000");
        expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "1.000000" });
      } finally {
        await platform.simulator("/_control/faults", { method: "DELETE" });
      }
    });

    it("serves a byte range of the video", async () => {
      const { client, key } = await platform.account("1");
      const video = await client.videos.create({ prompt: "ranges", seconds: "4" });
      await waitForEnd(client, video.id);
      const whole = Buffer.from(await (await client.videos.downloadContent(video.id)).arrayBuffer());
      const response = await fetch(`${platform.url}/v1/videos/${video.id}/content`, {
        headers: { authorization: `Bearer ${key}`, range: "bytes=10-19" },
      });
      expect(response.status).toBe(206);
      expect(response.headers.get("content-range")).toBe(`bytes 10-19/${whole.length}`);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(whole.subarray(10, 20));
    });
  });

  describe("the legacy task API", () => {
    const post = (key: string, path: string, body: unknown) =>
      fetch(`${platform.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    it("creates with seconds as a number, answers the three query forms, and remixes with a -remix model", async () => {
      const { key } = await platform.account("5");
      const created = await post(key, "/v1/videos/generations", {
        model: "sora_video2",
        prompt: "legacy",
        seconds: 10,
      });
      expect(created.status).toBe(200);
      const video = (await created.json()) as {
        id: string;
        task_id: string;
        task_status: string;
        seconds: string;
        size: string;
      };
      expect(video).toMatchObject({ task_id: video.id, task_status: "succeed", seconds: "10", size: "704x1280" });

      const result = await waitFor("the legacy result", async () => {
        const answer = (await (await post(key, "/v1/video/generations/result", { task_id: video.id })).json()) as {
          task_status: string;
        };
        return answer.task_status === "succeed" ? answer : undefined;
      });
      expect(result).toMatchObject({ task_id: video.id, video_id: video.id, task_status: "succeed", duration: "10" });
      const byQuery = await (await post(key, "/v1/videos/query", { video_id: video.id })).json();
      const byPath = await (
        await fetch(`${platform.url}/v1/videos/query/${video.id}`, { headers: { authorization: `Bearer ${key}` } })
      ).json();
      expect(byQuery).toEqual(result);
      expect(byPath).toEqual(result);

      const remixed = await post(key, "/v1/videos", {
        model: "sora-2-remix",
        prompt: "legacy remix",
        video_id: video.id,
      });
      expect(remixed.status).toBe(200);
      expect(await remixed.json()).toMatchObject({
        remixed_from_video_id: video.id,
        seconds: "10",
        task_status: "succeed",
      });
    });
  });

  describe("input_reference", () => {
    it("stores the same image whichever form it came in", async () => {
      const { key, client } = await platform.account("10");
      const base64 = tinyPng.toString("base64");
      const forms: Array<[string, () => Promise<{ id: string }>]> = [
        [
          "file part",
          async () =>
            client.videos.create({
              prompt: "f1",
              input_reference: await toFile(tinyPng, "a.png", { type: "image/png" }),
            }),
        ],
        ["URL string", () => json(key, { prompt: "f2", input_reference: `${imageHost.url}/image.png` })],
        ["data URL", () => json(key, { prompt: "f3", input_reference: `data:image/png;base64,${base64}` })],
        ["bare base64", () => json(key, { prompt: "f4", input_reference: base64 })],
        [
          "{image_url} object",
          () => json(key, { prompt: "f5", input_reference: { image_url: `${imageHost.url}/image.png` } }),
        ],
        [
          "input_reference[image_url] field",
          () =>
            client.videos.create({ prompt: "f6", input_reference: { image_url: `data:image/png;base64,${base64}` } }),
        ],
      ];
      for (const [form, create] of forms) {
        const before = storedInputs();
        const video = await create();
        expect(video.id, form).toMatch(/^video_/);
        expect(storedInputs(), form).toBe(before + 1);
      }
      const stored = readdirSync(join(platform.dataDir, "media", "inputs"), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => sha256(readFileSync(join(entry.parentPath, entry.name))));
      expect(new Set(stored)).toEqual(new Set([sha256(tinyPng)]));

      // ...and the upstream received it as the same multipart file part, whichever form it came in.
      const prompts = ["f1", "f2", "f3", "f4", "f5", "f6"];
      const parts = await waitFor("every job submitted upstream", async () => {
        const jobs = await platform.simulator<Array<{ id: string; prompt: string }>>("/_control/jobs");
        const requests =
          await platform.simulator<Array<{ responseId?: string; files: Array<{ field: string; sha256: string }> }>>(
            "/_control/requests",
          );
        const found = prompts.map((prompt) => {
          const job = jobs.find((candidate) => candidate.prompt === prompt);
          return requests.find((request) => job && request.responseId === job.id)?.files;
        });
        return found.every(Boolean) ? found : undefined;
      });
      for (const files of parts)
        expect(files).toEqual([expect.objectContaining({ field: "input_reference", sha256: sha256(tinyPng) })]);
    });

    const json = async (key: string, body: unknown) => {
      const response = await fetch(`${platform.url}/v1/videos`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { id: string };
      if (response.status !== 200) throw new Error(JSON.stringify(answer));
      return answer;
    };
  });

  describe("hostile and broken input", () => {
    type Case = { name: string; body: () => string; contentType?: string; status: number; param?: string };
    const jsonCase = (name: string, body: unknown, status: number, param?: string): Case => ({
      name,
      body: () => JSON.stringify(body),
      contentType: "application/json",
      status,
      ...(param ? { param } : {}),
    });
    const image = (name: string, reference: string, status: number) =>
      jsonCase(name, { prompt: "x", input_reference: reference }, status, "input_reference");
    const cases: Case[] = [
      image("loopback IPv4", "http://127.0.0.1/image.png", 400),
      image("loopback IPv6", "http://[::1]/image.png", 400),
      image("private network", "http://10.0.0.1/image.png", 400),
      image("cloud metadata", "http://169.254.169.254/latest/meta-data", 400),
      image("IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]/image.png", 400),
      image("a name that resolves to loopback", "http://localhost/image.png", 400),
      {
        ...image("a redirect from an allowed host to loopback", "", 400),
        body: () =>
          JSON.stringify({ prompt: "x", input_reference: `${imageHost.url}/redirect?to=http://127.0.0.1:1/image.png` }),
      },
      image("not an image", "data:image/png;base64,bm90IGFuIGltYWdl", 415),
      image("invalid base64", "@@@not-base64@@@", 400),
      image("a non-image data URL", "data:text/plain;base64,aGVsbG8=", 400),
      {
        ...image("a remote non-image", "", 415),
        body: () => JSON.stringify({ prompt: "x", input_reference: `${imageHost.url}/text` }),
      },
      {
        ...image("a truncated download", "", 400),
        body: () => JSON.stringify({ prompt: "x", input_reference: `${imageHost.url}/truncated` }),
      },
      image(
        "an oversized image",
        `data:image/png;base64,${Buffer.concat([tinyPng, Buffer.alloc(IMAGE_LIMIT)]).toString("base64")}`,
        413,
      ),
      image("an ftp URL", "ftp://example.com/a.png", 400),
      jsonCase("an unknown field", { prompt: "x", colour: "red" }, 400, "colour"),
      {
        name: "a JSON body over the limit",
        body: () => JSON.stringify({ prompt: "x".repeat(BODY_LIMIT) }),
        contentType: "application/json",
        status: 413,
      },
      {
        name: "a wrong Content-Type",
        body: () => "prompt=x",
        contentType: "application/x-www-form-urlencoded",
        status: 415,
      },
    ];

    it.each(cases)(
      "$name → $status, OpenAI's error shape, nothing stored or charged",
      async ({ body, contentType, status, param }) => {
        const { key, accountId } = await platform.account("3");
        const [eventsBefore, inputsBefore] = [await platform.taskEvents(), storedInputs()];
        const response = await fetch(`${platform.url}/v1/videos`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, ...(contentType ? { "content-type": contentType } : {}) },
          body: body(),
        });
        const answer = (await response.json()) as {
          error: { message: string; type: string; param: string | null; code: string | null };
        };
        expect(response.status, answer.error?.message).toBe(status);
        expect(Object.keys(answer.error).sort()).toEqual(["code", "message", "param", "type"]);
        if (param) expect(answer.error.param).toBe(param);
        expect(await platform.taskEvents()).toBe(eventsBefore);
        expect(storedInputs()).toBe(inputsBefore);
        expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "3.000000", reserved_usd: "0.000000" });
      },
    );

    it("answers another account's video as unknown on every endpoint", async () => {
      const owner = await platform.account("2");
      const video = await owner.client.videos.create({ prompt: "mine" });
      await waitForEnd(owner.client, video.id);
      const stranger = await platform.account("2");
      const attempts: Array<[string, string, unknown?]> = [
        ["GET", `/v1/videos/${video.id}`],
        ["GET", `/v1/videos/${video.id}/content`],
        ["DELETE", `/v1/videos/${video.id}`],
        ["POST", `/v1/videos/${video.id}/remix`, { prompt: "theirs now" }],
        ["POST", "/v1/videos", { model: "sora-2-remix", prompt: "theirs", video_id: video.id }],
        ["POST", "/v1/video/generations/result", { task_id: video.id }],
        ["POST", "/v1/videos/query", { video_id: video.id }],
        ["GET", `/v1/videos/query/${video.id}`],
      ];
      for (const [method, path, body] of attempts) {
        const response = await fetch(`${platform.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${stranger.key}`, ...(body ? { "content-type": "application/json" } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        expect(response.status, `${method} ${path}`).toBe(404);
      }
      const listed = await stranger.client.videos.list();
      expect(listed.data).toEqual([]);
      expect((await owner.client.videos.retrieve(video.id)).status).toBe("completed");
    });
  });

  it("publishes an OpenAPI 3.1 document that validates and lists every route, and human-readable docs", async () => {
    const document = (await (await fetch(`${platform.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of [
      "POST /v1/videos",
      "POST /v1/videos/generations",
      "GET /v1/videos",
      "GET /v1/videos/{id}",
      "DELETE /v1/videos/{id}",
      "POST /v1/videos/{id}/remix",
      "GET /v1/videos/{id}/content",
      "POST /v1/video/generations/result",
      "POST /v1/videos/query",
      "GET /v1/videos/query/{id}",
      "POST /admin/v1/accounts",
      "GET /admin/v1/accounts/{id}",
      "POST /admin/v1/accounts/{id}/keys",
    ]) {
      expect(routes).toContain(route);
    }
    const docs = await fetch(`${platform.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });
});
