import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testNats, waitFor } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsFor, type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
/**
 * How many times the poller is killed mid-submit (CHAOS_SUBMIT_KILLS to measure more). Each kill costs
 * the funds consumer's ack_wait (30 s): the message comes back only once the dead poller's hold on it lapses.
 */
const KILLS = Number(process.env.CHAOS_SUBMIT_KILLS ?? 2);

interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  status?: number;
  responseId?: string;
}

describe.skipIf(!nats.url)("a poller killed mid-submit starts no second upstream job", () => {
  let platform: Platform;
  const dir = mkdtempSync(join(tmpdir(), "reelgate-crash-"));
  const marker = join(dir, "crashed");
  beforeAll(async () => {
    platform = await startPlatform(nats.url!, {
      // The launcher brings the poller back, quickly and however often it is killed.
      supervise: { initialDelayMs: 100, maxDelayMs: 500, maxCrashes: 1_000 },
      env: { REELGATE_TEST_CRASH_POINT: "submit-accepted", REELGATE_TEST_CRASH_MARKER: marker },
    });
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `between the upstream's answer and JobSubmitted (${KILLS} kills): one upstream job per video`,
    async () => {
      const { client } = await platform.account("100");
      const videos: string[] = [];
      for (let kill = 1; kill <= KILLS; kill++) {
        const before = platform.restarts("poller");
        rmSync(marker, { force: true }); // arms the crash point for the next submit
        const created = await client.videos.create({ prompt: `crash mid-submit ${kill}`, seconds: "4" });
        videos.push(created.id);
        await waitFor("the poller to kill itself mid-submit", () => existsSync(marker), { timeoutMs: 30_000 });
        await waitFor("the poller to be restarted", () => platform.restarts("poller") > before, { timeoutMs: 60_000 });
        const ended = await waitForEnd(client, created.id, 90_000);
        expect(ended.status, platform.logs).toBe("completed");
      }
      expect(platform.restarts("poller")).toBe(KILLS);

      const requests = await platform.simulator<RecordedRequest[]>("/_control/requests");
      let duplicates = 0;
      for (const videoId of videos) {
        const creates = requests.filter(
          (request) => request.method === "POST" && request.headers["idempotency-key"] === videoId,
        );
        // The crashed try and its resumption: two creates, one upstream job.
        expect(creates.length).toBeGreaterThanOrEqual(2);
        const jobs = new Set(creates.map((request) => request.responseId).filter(Boolean));
        duplicates += jobs.size - 1;
        const types = (await eventsFor(platform, "poller", videoId)).map((event) => event.type);
        expect(types.filter((type) => type === "SubmitAttempted")).toHaveLength(1);
        expect(types.filter((type) => type === "JobSubmitted")).toHaveLength(1);
        expect(types).not.toContain("SubmitAttemptFailed");
      }
      console.log(`[chaos-submit] ${KILLS} kills mid-submit: ${duplicates} duplicate upstream jobs`);
      expect(duplicates).toBe(0);
    },
    60_000 + KILLS * 90_000,
  );
});
