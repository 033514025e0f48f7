import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { testNats } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemsInRecorded } from "./openai-schema.ts";
import { type Platform, startPlatform } from "./platform.ts";

const nats = testNats();
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
/** scripts/ensure-deps.sh (ensure_openai_python) installs the official Python SDK here, from the wheel on disk. */
const python = join(repoRoot, "node_modules/.cache/openai-python/bin/python");
const hasSdk = existsSync(python);
if (!hasSdk) console.warn(`skipping the Python SDK webhooks suite: no ${python} (scripts/ensure-deps.sh installs it)`);

describe.skipIf(!nats.url || !hasSdk)("webhooks with the official Python SDK", () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform(nats.url!, { env: { REELGATE_OUTBOUND_ALLOW: "127.0.0.1" } });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("runs every webhooks.* method; unwrap verifies a real delivery, refuses a tampered one, and both secrets verify during an overlap", async () => {
    const { key } = await platform.account("5");
    // The SDK's raw JSON answers, for a check against OpenAI's own schema (record_answers.py, openai-schema.ts).
    const answers = join(platform.dataDir, "python-answers.jsonl");
    const result = await run(python, [join(import.meta.dirname, "webhooks_sdk.py")], {
      env: {
        ...process.env,
        REELGATE_BASE_URL: `${platform.url}/v1`,
        REELGATE_API_KEY: key,
        REELGATE_ANSWERS_FILE: answers,
      },
      timeout: 120_000,
    }).catch((error: { stderr?: string; stdout?: string }) => {
      throw new Error(`the Python SDK script failed: ${error.stderr ?? ""}${error.stdout ?? ""}\n${platform.logs}`);
    });
    const seen = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(seen).toMatchObject({
      event_types: ["video.completed", "video.failed"],
      delivered_type: "video.completed",
      tampered_refused: true,
      overlap_verified: 2,
      deleted_is_404: true,
    });
    expect(seen.sdk_version).toMatch(/^3\./);
    const conformance = problemsInRecorded(readFileSync(answers, "utf8"));
    expect(conformance.problems).toEqual([]);
    expect(conformance.checked).toBeGreaterThanOrEqual(2); // videos.create and videos.retrieve
  }, 180_000);
});
