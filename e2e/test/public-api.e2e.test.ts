import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createdVideoSchema, videoSchema } from "@reelgate/contracts";
import { testNats, waitFor } from "@reelgate/testkit";
import { Validator } from "@seriousme/openapi-schema-validator";
import { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256, startImageHost, tinyPng } from "./images.ts";
import { conformanceRecorder } from "./openai-schema.ts";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
const IMAGE_LIMIT = 64 * 1024;
const BODY_LIMIT = 1024 * 1024;
/** Every field of a Video and nothing else (create and remix answers add the legacy task fields). */
const strictVideo = videoSchema.strict();
const strictCreated = createdVideoSchema.strict();
const BOUNDARY = "reelgate-e2e-boundary";

type FormPart = { name: string; value: string | Buffer; filename?: string };
/** A multipart/form-data body written by hand, so a test controls every byte. */
const multipartBody = (parts: FormPart[]) =>
  Buffer.concat([
    ...parts.flatMap(({ name, value, filename }) => [
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n` +
          (filename ? "Content-Type: image/png\r\n" : "") +
          "\r\n",
      ),
      Buffer.isBuffer(value) ? value : Buffer.from(value),
      Buffer.from("\r\n"),
    ]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
/** tinyPng cut short: it still sniffs as PNG, but its IEND chunk never came. */
const cutPng = tinyPng.subarray(0, Math.floor(tinyPng.length / 2));

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
      const { client: sdk, key } = await platform.account("20");
      // Every JSON answer the SDK gets is also checked against OpenAI's own schema (openai-schema.ts).
      const conformance = conformanceRecorder();
      const client = sdk.withOptions({ fetch: conformance.fetch });
      const plain = await client.videos.create({ prompt: "plain", seconds: "4" });
      const withImage = await client.videos.create({
        prompt: "animate this",
        seconds: "4",
        input_reference: await toFile(tinyPng, "frame.png", { type: "image/png" }),
      });
      expect(withImage).toMatchObject({ status: "queued", prompt: "animate this" });
      const more = await Promise.all(["a", "b", "c"].map((prompt) => client.videos.create({ prompt, seconds: "4" })));
      const all = [plain, withImage, ...more];
      for (const created of all) strictCreated.parse(created);

      const done = await waitForEnd(client, plain.id);
      expect(done).toMatchObject({ id: plain.id, status: "completed", progress: 100 });
      strictVideo.parse(done);
      const retrieved = await client.videos.retrieve(withImage.id);
      expect(retrieved).toMatchObject({ id: withImage.id, object: "video" });
      strictVideo.parse(retrieved);

      const listed: string[] = [];
      for await (const video of client.videos.list({ limit: 2 })) {
        strictVideo.parse(video);
        listed.push(video.id);
      }
      const newestFirst = all.map((video) => video.id).reverse();
      expect(listed).toEqual(newestFirst);
      const firstPage = await client.videos.list({ limit: 2 });
      expect(firstPage).toMatchObject({ has_more: true, last_id: newestFirst[1] });
      const ascending = await client.videos.list({ limit: 10, order: "asc" });
      expect(ascending.data.map((video) => video.id)).toEqual(all.map((video) => video.id));
      expect(ascending).toMatchObject({ has_more: false, last_id: all[4]!.id });
      // The list envelope as sent (the SDK keeps no first_id): every page names its ends.
      const page = async (query: string) =>
        (await (
          await fetch(`${platform.url}/v1/videos?${query}`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as {
          object: string;
          data: Array<{ id: string }>;
          first_id: string;
          last_id: string;
          has_more: boolean;
        };
      const last = await page(`limit=2&after=${newestFirst[3]}`);
      expect(last).toMatchObject({
        object: "list",
        first_id: newestFirst[4],
        last_id: newestFirst[4],
        has_more: false,
      });
      expect(last.data.map((video) => video.id)).toEqual([newestFirst[4]]);
      const middle = await page(`limit=2&after=${newestFirst[1]}`);
      expect(middle).toMatchObject({ first_id: newestFirst[2], last_id: newestFirst[3], has_more: true });

      const remix = await client.videos.remix(plain.id, { prompt: "now at night" });
      expect(remix).toMatchObject({ remixed_from_video_id: plain.id, seconds: "4", model: "sora-2", status: "queued" });
      strictCreated.parse(remix);
      expect((await waitForEnd(client, remix.id)).status).toBe("completed");

      const types: Record<string, string> = {};
      for (const variant of ["video", "thumbnail", "spritesheet"] as const) {
        const content = await client.videos.downloadContent(plain.id, { variant });
        expect((await content.arrayBuffer()).byteLength).toBeGreaterThan(0);
        types[variant] = content.headers.get("content-type") ?? "";
      }
      expect(types).toEqual({ video: "video/mp4", thumbnail: "image/png", spritesheet: "image/png" });

      expect(await client.videos.delete(remix.id)).toEqual({ id: remix.id, object: "video.deleted", deleted: true });
      await expect(client.videos.retrieve(remix.id)).rejects.toMatchObject({ status: 404 });
      const after: string[] = [];
      for await (const video of client.videos.list({ limit: 100 })) after.push(video.id);
      expect(after).not.toContain(remix.id);
      expect(conformance.problems).toEqual([]);
      expect(conformance.checked).toBeGreaterThan(15);
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

    type LegacyResult = {
      task_id: string;
      video_id: string;
      task_status: string;
      message: string;
      duration: string;
      video_result: string | null;
      video_results: Array<{ url: string }>;
    };
    const slowJobs = (jobDurationMs: number | null) =>
      platform.simulator("/_control/faults", {
        method: jobDurationMs === null ? "DELETE" : "POST",
        ...(jobDurationMs === null
          ? {}
          : { headers: { "content-type": "application/json" }, body: JSON.stringify({ jobDurationMs }) }),
      });

    it("creates with seconds as a number, answers the three query forms, and remixes with a -remix model", async () => {
      const { key } = await platform.account("5");
      await slowJobs(2_000); // long enough to see the job running
      let video: { id: string; task_id: string; task_status: string; message: string; seconds: string; size: string };
      let running: LegacyResult;
      try {
        const created = await post(key, "/v1/videos/generations", {
          model: "sora_video2",
          prompt: "legacy",
          seconds: 10,
        });
        expect(created.status).toBe(200);
        video = (await created.json()) as typeof video;
        expect(video).toMatchObject({
          task_id: video.id,
          task_status: "succeed",
          message: "",
          seconds: "10",
          size: "704x1280",
        });
        running = (await (
          await post(key, "/v1/video/generations/result", { task_id: video.id })
        ).json()) as LegacyResult;
        // The job takes the slow duration once the simulator has it; only then may the others be fast again.
        await waitFor("the job submitted upstream", async () =>
          (await platform.simulator<Array<{ prompt: string }>>("/_control/jobs")).some(
            (job) => job.prompt === "legacy",
          ),
        );
      } finally {
        await slowJobs(null);
      }
      // queued and in_progress are both "processing" to the relay's clients, with no result yet.
      expect(running).toEqual({
        task_id: video.id,
        video_id: video.id,
        task_status: "processing",
        message: "",
        duration: "10",
        video_result: null,
        video_results: [],
      });

      const result = await waitFor(
        "the legacy result",
        async () => {
          const answer = (await (
            await post(key, "/v1/video/generations/result", { task_id: video.id })
          ).json()) as LegacyResult;
          return answer.task_status === "succeed" ? answer : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(result).toMatchObject({
        task_id: video.id,
        video_id: video.id,
        task_status: "succeed",
        message: "",
        duration: "10",
      });
      expect(result.video_result).toMatch(/^https?:\/\//);
      expect(result.video_results).toEqual([{ url: result.video_result }]);
      // A browser plays it without an API key.
      const played = await fetch(result.video_result!);
      expect(played.status).toBe(200);
      expect(played.headers.get("content-type")).toBe("video/mp4");
      expect((await played.arrayBuffer()).byteLength).toBeGreaterThan(0);

      const byQuery = (await (await post(key, "/v1/videos/query", { video_id: video.id })).json()) as typeof result;
      const byPath = (await (
        await fetch(`${platform.url}/v1/videos/query/${video.id}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as typeof result;
      // Each answer signs its URL afresh, so the expiry (and with it the signature) may be a second later.
      const unsigned = (answer: typeof result) =>
        JSON.parse(JSON.stringify(answer).replace(/\?expires=\d+&signature=[\w-]+/g, "?signed"));
      expect(byQuery.video_result).toMatch(/\?expires=\d+&signature=[\w-]+$/);
      expect(byPath.video_result).toMatch(/\?expires=\d+&signature=[\w-]+$/);
      expect(unsigned(byQuery)).toEqual(unsigned(result));
      expect(unsigned(byPath)).toEqual(unsigned(result));

      const remixed = await post(key, "/v1/videos", {
        model: "sora-2-remix",
        prompt: "legacy remix",
        video_id: video.id,
        seconds: "4",
        size: "1280x720",
      });
      expect(remixed.status).toBe(200);
      const remix = (await remixed.json()) as { id: string };
      expect(remix).toMatchObject({
        remixed_from_video_id: video.id,
        seconds: "10",
        task_status: "succeed",
        message: "",
      });

      // Only the prompt went upstream: the remix call to the source's job carries no other field and no file.
      const upstream = await waitFor("the remix submitted upstream", async () => {
        const jobs = await platform.simulator<Array<{ id: string; prompt: string }>>("/_control/jobs");
        const job = jobs.find((candidate) => candidate.prompt === "legacy remix");
        const requests =
          await platform.simulator<
            Array<{ method: string; path: string; fields: string[]; files: unknown[]; responseId?: string }>
          >("/_control/requests");
        return job ? requests.find((request) => request.responseId === job.id) : undefined;
      });
      expect(upstream).toMatchObject({ method: "POST", fields: ["prompt"], files: [] });
      expect(upstream.path).toMatch(/\/remix$/);
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
    type Case = {
      name: string;
      body: () => string | Buffer;
      contentType?: string;
      status: number;
      param?: string;
      code?: string;
      /** Sent as a chunked stream, with no Content-Length. */
      chunked?: boolean;
    };
    const multipartCase = (name: string, parts: FormPart[], status: number, extra: Partial<Case> = {}): Case => ({
      name,
      body: () => multipartBody([{ name: "prompt", value: "x" }, ...parts]),
      contentType: MULTIPART,
      status,
      ...extra,
    });
    // Each field stays under every per-part limit (the image cap as base64): only the body limit can stop them.
    const fieldsOverTheBodyLimit = Array.from({ length: 14 }, (_, i) => ({
      name: `note${i}`,
      value: "n".repeat(80 * 1024),
    }));
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
        ...image("a cut-off data URL", `data:image/png;base64,${cutPng.toString("base64")}`, 415),
        code: "invalid_image",
      },
      multipartCase("a cut-off file part", [{ name: "input_reference", value: cutPng, filename: "a.png" }], 415, {
        param: "input_reference",
        code: "invalid_image",
      }),
      multipartCase("a multipart body over the limit", fieldsOverTheBodyLimit, 413, { code: "request_too_large" }),
      multipartCase("a chunked multipart body over the limit", fieldsOverTheBodyLimit, 413, {
        code: "request_too_large",
        chunked: true,
      }),
      multipartCase(
        "a base64 text field over the field limit",
        [
          {
            name: "input_reference",
            value: Buffer.concat([tinyPng, Buffer.alloc(2 * IMAGE_LIMIT)]).toString("base64"),
          },
        ],
        413,
        { param: "input_reference", code: "field_too_large" },
      ),
      multipartCase(
        "a second input_reference part",
        [
          { name: "input_reference", value: tinyPng, filename: "a.png" },
          { name: "input_reference", value: tinyPng.toString("base64") },
        ],
        400,
        { param: "input_reference", code: "duplicate_parameter" },
      ),
      {
        name: "a wrong Content-Type",
        body: () => "prompt=x",
        contentType: "application/x-www-form-urlencoded",
        status: 415,
      },
    ];

    it.each(cases)(
      "$name → $status, OpenAI's error shape, nothing stored or charged",
      async ({ body, contentType, status, param, code, chunked }) => {
        const { key, accountId } = await platform.account("3");
        const [eventsBefore, inputsBefore] = [await platform.taskEvents(), storedInputs()];
        const bytes = body();
        const response = await fetch(`${platform.url}/v1/videos`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, ...(contentType ? { "content-type": contentType } : {}) },
          ...(chunked
            ? { body: Readable.toWeb(Readable.from([Buffer.from(bytes)])) as ReadableStream, duplex: "half" }
            : { body: bytes }),
        } as RequestInit);
        const answer = (await response.json()) as {
          error: { message: string; type: string; param: string | null; code: string | null };
        };
        expect(response.status, answer.error?.message).toBe(status);
        expect(Object.keys(answer.error).sort()).toEqual(["code", "message", "param", "type"]);
        if (param) expect(answer.error.param).toBe(param);
        if (code) expect(answer.error.code).toBe(code);
        expect(await platform.taskEvents()).toBe(eventsBefore);
        expect(storedInputs()).toBe(inputsBefore);
        expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "3.000000", reserved_usd: "0.000000" });
      },
    );

    it("answers another account's video as unknown on every endpoint, and changes nothing", async () => {
      const owner = await platform.account("2");
      const video = await owner.client.videos.create({ prompt: "mine" });
      await waitForEnd(owner.client, video.id);
      const stranger = await platform.account("2");
      const unknownId = `video_${"0".repeat(32)}`;
      const attempts = (id: string): Array<[string, string, unknown?]> => [
        ["GET", `/v1/videos/${id}`],
        ["GET", `/v1/videos/${id}/content`],
        ["GET", `/v1/videos/${id}/content?variant=thumbnail`],
        ["GET", `/v1/videos/${id}/content?variant=spritesheet`],
        ["GET", `/v1/videos?after=${id}`],
        ["DELETE", `/v1/videos/${id}`],
        ["POST", `/v1/videos/${id}/remix`, { prompt: "theirs now" }],
        ["POST", "/v1/videos", { model: "sora-2-remix", prompt: "theirs", video_id: id }],
        ["POST", "/v1/videos", { model: "sora-2-pro-remix", prompt: "theirs", video_id: id }],
        ["POST", "/v1/video/generations/result", { task_id: id }],
        ["POST", "/v1/videos/query", { video_id: id }],
        ["GET", `/v1/videos/query/${id}`],
      ];
      const call = async ([method, path, body]: [string, string, unknown?], id: string) => {
        const response = await fetch(`${platform.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${stranger.key}`, ...(body ? { "content-type": "application/json" } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        // The same answer, but for the id itself if the message names it.
        return { status: response.status, body: (await response.text()).replaceAll(id, "<id>") };
      };
      const eventsBefore = await platform.taskEvents();
      const foreign = attempts(video.id);
      const unknown = attempts(unknownId);
      for (const [i, attempt] of foreign.entries()) {
        const [method, path] = attempt;
        const theirs = await call(attempt, video.id);
        const nobodys = await call(unknown[i]!, unknownId);
        expect(theirs, `${method} ${path}`).toEqual(nobodys);
        if (!path.startsWith("/v1/videos?")) expect(theirs.status, `${method} ${path}`).toBe(404);
        expect(JSON.parse(theirs.body), `${method} ${path}`).toMatchObject({ error: { type: expect.any(String) } });
      }
      expect(await platform.taskEvents()).toBe(eventsBefore);
      expect(await platform.balance(stranger.accountId)).toMatchObject({
        balance_usd: "2.000000",
        reserved_usd: "0.000000",
      });
      const listed = await stranger.client.videos.list();
      expect(listed.data).toEqual([]);

      // The stranger's DELETE deleted nothing: the owner still has the video and every variant.
      expect((await owner.client.videos.retrieve(video.id)).status).toBe("completed");
      for (const variant of ["video", "thumbnail", "spritesheet"] as const) {
        const content = await owner.client.videos.downloadContent(video.id, { variant });
        expect((await content.arrayBuffer()).byteLength, variant).toBeGreaterThan(0);
      }
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
