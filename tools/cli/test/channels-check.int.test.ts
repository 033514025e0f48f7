import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSimulator } from "@reelgate/simulator";
import { freePort } from "@reelgate/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../src/main.ts");
let simulator: FastifyInstance;
let root: string;
let closedPort: number;

const run = (channelsFile: string) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const { MONGODB_URL: _mongo, ...env } = process.env;
    execFile(
      process.execPath,
      [cli, "channels", "check"],
      {
        env: {
          ...env,
          REELGATE_CHANNELS_FILE: channelsFile,
          REELGATE_DATA_DIR: mkdtempSync(join(tmpdir(), "rg-cli-")),
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  simulator = await buildSimulator({ apiKeys: ["good"] });
  await simulator.listen({ port: 0, host: "127.0.0.1" });
  root = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;
  closedPort = await freePort();
});
afterAll(async () => {
  await simulator?.close();
});

describe("reelgate channels check", () => {
  it("asks every channel something free and prints a table: ok, refused, unreachable, unchecked", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "rg-channels-")), "channels.yaml");
    writeFileSync(
      file,
      `
channels:
  - { id: veo, provider: gemini, base_url: "${root}/c/veo/v1beta", api_key: good, models: {} }
  - { id: kling-bad, provider: kling, base_url: "${root}/c/k/kling", api_key: good, api_secret: wrong, models: {} }
  - { id: wan, provider: dashscope, base_url: "${root}/c/wan/dashscope/api/v1", api_key: good, models: {} }
  - { id: ark-bad, provider: ark, base_url: "${root}/c/ark/ark/api/v3", api_key: nope, models: {} }
  - { id: sora, provider: openai, base_url: "${root}/c/sora/v1", api_key: good, models: {} }
  - { id: gone, provider: openai, base_url: "http://127.0.0.1:${closedPort}/v1", api_key: good, models: {} }
  - { id: chat, provider: chat-sse, base_url: "${root}/c/chat/v1", api_key: good, models: {} }
`,
    );
    const { status, stdout } = await run(file);
    const rows = Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => line.split(/\s{2,}/))
        .map(([channel, provider, result]) => [channel, `${provider} ${result}`]),
    );
    expect(stdout.split("\n")[0]).toMatch(/^CHANNEL\s+PROVIDER\s+RESULT\s+TIME\s+DETAIL$/);
    expect(rows).toEqual({
      veo: "gemini ok",
      "kling-bad": "kling refused",
      wan: "dashscope ok",
      "ark-bad": "ark refused",
      sora: "openai ok",
      gone: "openai unreachable",
      chat: "chat-sse unchecked",
    });
    expect(status).toBe(1);
    // No job was made on any channel.
    const requests = (await (await fetch(`${root}/_control/requests`)).json()) as Array<{ responseId?: string }>;
    expect(requests.filter((request) => request.responseId)).toEqual([]);
  });
});
