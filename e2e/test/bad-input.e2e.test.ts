import { testNats } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform } from "./platform.ts";

const nats = testNats();

describe.skipIf(!nats.url)("bad input", () => {
  let platform: Platform;
  let key: string;
  let accountId: string;
  beforeAll(async () => {
    platform = await startPlatform(nats.url!);
    ({ key, accountId } = await platform.account("5"));
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const json = { "content-type": "application/json" };
  const valid = JSON.stringify({ model: "sora-2", prompt: "a cat", seconds: "4", size: "720x1280" });
  const cases: Array<{
    name: string;
    headers: Record<string, string>;
    body: string;
    status: number;
    param?: string | null;
    code?: string;
    /** The message must say this, e.g. the values that are allowed. */
    message?: RegExp;
  }> = [
    { name: "no key", headers: json, body: valid, status: 401, code: "invalid_api_key" },
    {
      name: "wrong key",
      headers: { ...json, authorization: "Bearer rg-not-a-key" },
      body: valid,
      status: 401,
      code: "invalid_api_key",
    },
    { name: "malformed JSON", headers: json, body: '{"prompt": "a cat",', status: 400, code: "invalid_json" },
    { name: "missing prompt", headers: json, body: JSON.stringify({ model: "sora-2" }), status: 400, param: "prompt" },
    { name: "empty prompt", headers: json, body: JSON.stringify({ prompt: "  " }), status: 400, param: "prompt" },
    {
      name: "unknown model",
      headers: json,
      body: JSON.stringify({ model: "sora-9", prompt: "x" }),
      status: 400,
      param: "model",
    },
    {
      name: "bad size",
      headers: json,
      body: JSON.stringify({ prompt: "x", size: "640x480" }),
      status: 400,
      param: "size",
      message: /Allowed: 720x1280, 1280x720\./,
    },
    {
      name: "bad seconds",
      headers: json,
      body: JSON.stringify({ prompt: "x", seconds: 5 }),
      status: 400,
      param: "seconds",
      message: /Allowed: 4, 8, 12\./,
    },
    {
      name: "seconds not a number",
      headers: json,
      body: JSON.stringify({ prompt: "x", seconds: "four" }),
      status: 400,
      param: "seconds",
    },
    {
      name: "a size another model has",
      headers: json,
      body: JSON.stringify({ prompt: "x", size: "1920x1080" }),
      status: 400,
      param: "size",
      message: /Allowed: 720x1280, 1280x720\./,
    },
    {
      name: "unknown field",
      headers: json,
      body: JSON.stringify({ prompt: "x", colour: "red" }),
      status: 400,
      param: "colour",
    },
    { name: "a JSON array", headers: json, body: "[1,2]", status: 400 },
    { name: "wrong content type", headers: { "content-type": "text/plain" }, body: valid, status: 415 },
  ];

  it.each(cases)(
    "$name: $status in OpenAI's error shape, nothing appended, nothing charged",
    async ({ name, headers, body, status, param, code, message }) => {
      const before = await platform.taskEvents();
      const auth = name === "no key" ? {} : { authorization: `Bearer ${key}` };
      const response = await fetch(`${platform.url}/v1/videos`, {
        method: "POST",
        headers: { ...auth, ...headers },
        body,
      });
      expect(response.status).toBe(status);
      const error = (await response.json()) as { error: Record<string, unknown> };
      expect(Object.keys(error.error).sort()).toEqual(["code", "message", "param", "type"]);
      expect(typeof error.error.message).toBe("string");
      if (param !== undefined) expect(error.error.param).toBe(param);
      if (code !== undefined) expect(error.error.code).toBe(code);
      if (message !== undefined) expect(error.error.message).toMatch(message);
      expect(response.headers.get("x-request-id")).toMatch(/^req_/);
      expect(await platform.taskEvents()).toBe(before);
      expect(await platform.balance(accountId)).toMatchObject({ balance_usd: "5.000000", reserved_usd: "0.000000" });
    },
  );

  it("answers 402 insufficient_quota when the balance cannot cover the quote, and records nothing", async () => {
    const poor = await platform.account("0.5");
    const before = await platform.taskEvents();
    const response = await fetch(`${platform.url}/v1/videos`, {
      method: "POST",
      headers: { ...json, authorization: `Bearer ${poor.key}` },
      body: JSON.stringify({ prompt: "x", seconds: "8" }),
    });
    expect(response.status).toBe(402);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota");
    expect(await platform.taskEvents()).toBe(before);
    expect(await platform.balance(poor.accountId)).toMatchObject({ balance_usd: "0.500000", reserved_usd: "0.000000" });
  });

  it("answers 404 for another account's video, exactly as for an unknown one", async () => {
    const owner = await platform.account("1");
    const video = await owner.client.videos.create({ prompt: "mine", seconds: "4" });
    const other = await fetch(`${platform.url}/v1/videos/${video.id}`, { headers: { authorization: `Bearer ${key}` } });
    const unknown = await fetch(`${platform.url}/v1/videos/video_${"0".repeat(32)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    const [a, b] = (await Promise.all([other.json(), unknown.json()])) as Array<{ error: { code: string } }>;
    expect(a!.error.code).toBe(b!.error.code);
  });
});
