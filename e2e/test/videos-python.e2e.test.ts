import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { testNats } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationOf, problemsInRecorded } from "./openai-schema.ts";
import { type Platform, startPlatform } from "./platform.ts";

const nats = testNats();
const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
/** scripts/ensure-deps.sh (ensure_openai_python) installs the official Python SDK here, from the wheel on disk. */
const python = join(repoRoot, "node_modules/.cache/openai-python/bin/python");
const hasSdk = existsSync(python);
if (!hasSdk) console.warn(`skipping the Python SDK videos suite: no ${python} (scripts/ensure-deps.sh installs it)`);

describe.skipIf(!nats.url || !hasSdk)("videos with the official Python SDK", () => {
  let platform: Platform;

  beforeAll(async () => {
    // The default channel: the simulator in the `openai` shape, which edits, extends and makes characters.
    platform = await startPlatform(nats.url!);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("runs every videos.* method (edit, extend, characters included), parsed by the SDK's own models", async () => {
    const { key } = await platform.account("10");
    // The SDK's raw JSON answers, for a check against OpenAI's own schema (record_answers.py, openai-schema.ts).
    const answers = join(platform.dataDir, "python-video-answers.jsonl");
    const result = await run(python, [join(import.meta.dirname, "videos_sdk.py")], {
      env: {
        ...process.env,
        REELGATE_BASE_URL: `${platform.url}/v1`,
        REELGATE_API_KEY: key,
        REELGATE_ANSWERS_FILE: answers,
      },
      timeout: 150_000,
    }).catch((error: { stderr?: string; stdout?: string }) => {
      throw new Error(`the Python SDK script failed: ${error.stderr ?? ""}${error.stdout ?? ""}\n${platform.logs}`);
    });
    const seen = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(seen).toMatchObject({
      // The `{id}` form (a completed video of the openai-shape channel) and the methods with its uploaded mp4.
      edit: { status: "completed", seconds: "8", upload_status: "completed" },
      extension: { status: "completed", seconds: "12", upload_status: "completed" }, // the stitched total: 8 + 4
      character: { name: "Ada", same: true },
      unknown_character_is_404: true,
      deleted_is_404: true,
    });
    expect(seen.sdk_version).toMatch(/^3\./);
    console.log(`the Python SDK saw: ${JSON.stringify(seen)}`);

    const recorded = readFileSync(answers, "utf8");
    const conformance = problemsInRecorded(recorded);
    expect(conformance.problems).toEqual([]);
    // Every operation OpenAI's document names answered the SDK at least once, and was checked.
    const answered = new Set(
      recorded
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as { method: string; path: string })
        .map(({ method, path }) => operationOf(method, path)),
    );
    expect([...answered]).toEqual(
      expect.arrayContaining([
        "POST /videos",
        "GET /videos",
        "GET /videos/{video_id}",
        "DELETE /videos/{video_id}",
        "POST /videos/{video_id}/remix",
        "POST /videos/edits",
        "POST /videos/extensions",
        "POST /videos/characters",
        "GET /videos/characters/{character_id}",
      ]),
    );
    expect(conformance.checked).toBeGreaterThanOrEqual(12);
  }, 180_000);
});
