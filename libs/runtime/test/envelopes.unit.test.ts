import { derivedId } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import { toNewEvents } from "../src/envelopes.ts";

describe("toNewEvents", () => {
  it("derives the ids every earlier version derived: a redelivery after an upgrade appends nothing new", () => {
    // Pinned: ids already in event stores and in JetStream's duplicate window were made with these.
    expect(derivedId("submit-1:video_abc", "0")).toBe("evt_2vFrFtbDGJ_9gXgDTQauqc60-fLugPb5");
    expect(derivedId("end:video_abc", "0")).toBe("evt_xV0DdTuqYDN5Vj_9jSh1mNLSv-ufy8Hl");
    expect(derivedId("é\u0000x")).toBe("evt_ENw0eTG_r2WkNUTwdI8vd60XucaFg7aO");
  });

  it("gives each event of a decision its index's id, the decision's time and its meta", () => {
    const now = new Date("2026-12-02T10:00:00.123Z");
    const meta = {
      commitId: "submit-1:video_abc",
      correlationId: "video_abc",
      causationId: "evt_x",
      accountId: "acct_1",
      now,
    };
    const events = toNewEvents(
      [
        { type: "JobSubmitted", data: { videoId: "video_abc", channelId: "main", upstreamId: "up_1", submittedAt: 1 } },
        { type: "JobProgressed", data: { videoId: "video_abc", progress: 50 } },
      ],
      meta,
    );
    expect(events.map((event) => event.id)).toEqual([
      "evt_2vFrFtbDGJ_9gXgDTQauqc60-fLugPb5",
      derivedId("submit-1:video_abc", "1"),
    ]);
    for (const event of events)
      expect(event).toMatchObject({
        schemaVersion: 1,
        occurredAt: "2026-12-02T10:00:00.123Z",
        correlationId: "video_abc",
        causationId: "evt_x",
        accountId: "acct_1",
      });
  });
});
