import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DomainEvent } from "@reelgate/contracts";
import { MAX_EVENT_BYTES, openSqliteEventStore } from "@reelgate/event-store";
import { describe, expect, it } from "vitest";
import { type Aggregate, aggregateRepository } from "../src/index.ts";
import { SHRUNK_STRING_CHARS } from "../src/shrink-event.ts";

type Failed = Extract<DomainEvent, { type: "JobFailed" }>;
const hugeMessage = "y".repeat(3 * MAX_EVENT_BYTES);
/** Fails a job with whatever message it is given, as a decider passing on an upstream's words would. */
const failing: Aggregate<{ failed: string | null }, { message: string }, Failed> = {
  initialState: () => ({ failed: null }),
  evolve: (_state, event) => ({ failed: event.data.message }),
  decide: (command) => [
    { type: "JobFailed", data: { videoId: "video_1", code: "upstream_error", message: command.message, failedAt: 1 } },
  ],
};

describe("an event too large for the bus", () => {
  it("is recorded with its long strings cut, and the state follows what was recorded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reelgate-oversized-"));
    const store = openSqliteEventStore(join(dir, "events.db"));
    try {
      const repository = aggregateRepository(store, failing);
      const meta = { commitId: "fail", correlationId: "c", causationId: null, accountId: null, now: new Date() };
      const decision = await repository.execute("job-video_1", { message: hugeMessage }, meta);
      const [stored] = await store.readStream("job-video_1");
      const message = (stored?.data as Failed["data"] | undefined)?.message ?? "";
      expect(message.length).toBe(SHRUNK_STRING_CHARS);
      expect(message.startsWith("yyyy")).toBe(true);
      expect(decision.state.failed).toBe(message);
      expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(MAX_EVENT_BYTES);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
