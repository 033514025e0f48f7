import { testNats } from "@reelgate/testkit";
import OpenAI from "openai";
import { pollWithResponse } from "openai/lib/polling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conformanceRecorder } from "./openai-schema.ts";
import { type Platform, startPlatform } from "./platform.ts";

const nats = testNats();
/** The SDK's own wait when an answer names no `openai-poll-after-ms`. */
const SDK_DEFAULT_WAIT_MS = 5_000;

interface Poll {
  sentAt: number;
  answeredAt: number;
  status: string;
  pollAfterMs: number | null;
}

describe.skipIf(!nats.url)("openai-poll-after-ms with the official JavaScript SDK's poll helper (issue 13.2)", () => {
  let platform: Platform;
  beforeAll(async () => {
    // Jobs long enough for several polls while queued and in progress.
    platform = await startPlatform(nats.url!, { simulatorJobMs: 6_000 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("every unfinished answer names a wait, and the SDK's poll waits exactly that, not its 5 s default", async () => {
    const { key } = await platform.account("10");
    const polls: Poll[] = [];
    // Each answer is also checked against OpenAI's own schema on its way (openai-schema.ts).
    const conformance = conformanceRecorder();
    // The SDK's own fetch, watched: when each GET of the video was sent and answered, and what it said.
    const watched: typeof fetch = async (input, init) => {
      const sentAt = Date.now();
      const response = await conformance.fetch(input, init);
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
      if ((init?.method ?? "GET") === "GET" && /^\/v1\/videos\/video_/.test(url.pathname)) {
        const status = ((await response.clone().json()) as { status: string }).status;
        const header = response.headers.get("openai-poll-after-ms");
        polls.push({ sentAt, answeredAt: Date.now(), status, pollAfterMs: header === null ? null : Number(header) });
      }
      return response;
    };
    const client = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0, fetch: watched });

    const created = await client.videos.create({ prompt: "a lighthouse at dawn", seconds: "4" }).withResponse();
    expect(created.data.status).toBe("queued");
    expect(Number(created.response.headers.get("openai-poll-after-ms"))).toBeGreaterThanOrEqual(1_000);

    // The helper every `*.poll`/`createAndPoll` of the SDK is built on (the 7.x SDK has none for videos yet).
    const video = await pollWithResponse(
      (headers) => client.videos.retrieve(created.data.id, { headers }),
      ["queued", "in_progress"],
      ["completed", "failed"],
    );
    expect(video.status).toBe("completed");

    const unfinished = polls.slice(0, -1);
    expect(unfinished.length).toBeGreaterThanOrEqual(1);
    for (const poll of unfinished) {
      expect(["queued", "in_progress"]).toContain(poll.status);
      expect(Number.isInteger(poll.pollAfterMs)).toBe(true);
      expect(poll.pollAfterMs).toBeGreaterThanOrEqual(1_000);
      expect(poll.pollAfterMs).toBeLessThanOrEqual(15_000);
    }
    expect(polls.at(-1)).toMatchObject({ status: "completed", pollAfterMs: null });
    expect(conformance.problems).toEqual([]);
    expect(conformance.checked).toBe(polls.length + 1);
    // The SDK slept at least what each answer said before asking again...
    const gaps = unfinished.map((poll, i) => ({
      said: poll.pollAfterMs!,
      waited: polls[i + 1]!.sentAt - poll.answeredAt,
    }));
    for (const { said, waited } of gaps) expect(waited).toBeGreaterThanOrEqual(said - 5);
    // ...and honoured it rather than its default: a header under 5 s made it ask again sooner than 5 s.
    expect(gaps.some(({ said, waited }) => said < 4_000 && waited < SDK_DEFAULT_WAIT_MS)).toBe(true);
  });
});
