import type { NewEvent } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import {
  commitPositionOf,
  envelopesText,
  eventPosition,
  eventTexts,
  MAX_EVENTS_PER_COMMIT,
  outboxBatchOf,
  storedEventsOf,
  streamTypeOf,
  toEnvelopes,
} from "../src/commit.ts";
import { EventTooLargeError } from "../src/port.ts";

const event = (id: string): NewEvent => ({
  id,
  type: "T",
  schemaVersion: 1,
  occurredAt: "2025-01-01T00:00:00.000Z",
  correlationId: "v",
  causationId: null,
  accountId: null,
  data: {},
});

describe("positions", () => {
  it("orders events by commit, then by index in the commit, and finds the commit back", () => {
    expect(eventPosition(7, 0)).toBeLessThan(eventPosition(7, MAX_EVENTS_PER_COMMIT - 1));
    expect(eventPosition(7, MAX_EVENTS_PER_COMMIT - 1)).toBeLessThan(eventPosition(8, 0));
    expect(commitPositionOf(eventPosition(7, 0))).toBe(7);
    expect(commitPositionOf(eventPosition(7, MAX_EVENTS_PER_COMMIT - 1))).toBe(7);
  });

  it("skips the events at or before `after`", () => {
    const envelopes = toEnvelopes("task-1", 0, [event("a"), event("b"), event("c")]);
    expect(storedEventsOf(3, envelopes, eventPosition(3, 1)).map((e) => e.id)).toEqual(["c"]);
    expect(storedEventsOf(3, envelopes).map((e) => e.position)).toEqual([3000, 3001, 3002]);
  });
});

describe("toEnvelopes", () => {
  it("numbers versions densely after the current one", () => {
    expect(toEnvelopes("task-1", 4, [event("a"), event("b")]).map((e) => [e.stream, e.version])).toEqual([
      ["task-1", 5],
      ["task-1", 6],
    ]);
  });

  it("refuses an append the positions cannot hold, or with an event id twice", () => {
    const many = Array.from({ length: MAX_EVENTS_PER_COMMIT + 1 }, (_, i) => event(`e${i}`));
    expect(() => toEnvelopes("task-1", 0, many)).toThrow(/at most/);
    expect(() => toEnvelopes("task-1", 0, [event("a"), event("a")])).toThrow(/twice/);
  });
});

describe("envelopesText", () => {
  it("is the JSON of the envelopes, made from each event's JSON once", () => {
    const events = [
      event("a"),
      { ...event("b"), data: { title: 'déjà vu \u2028 "quoted"', nested: { list: [1, null, "x"] } } },
      { ...event("c"), data: { videoId: "v", skipped: undefined } },
    ];
    expect(envelopesText("task-1", 4, eventTexts("task-1", events))).toBe(
      JSON.stringify(toEnvelopes("task-1", 4, events)),
    );
    expect(envelopesText("task-1", 0, eventTexts("task-1", []))).toBe("[]");
  });

  it("gives stream and version the append's values even if the event object carries its own", () => {
    const carrying = { ...event("a"), stream: "other-9", version: 99 } as NewEvent;
    expect(JSON.parse(envelopesText("task-1", 2, eventTexts("task-1", [carrying])))).toEqual(
      toEnvelopes("task-1", 2, [carrying]),
    );
  });

  it("refuses an event too large for the bus before anything is made", () => {
    const large = { ...event("a"), data: { text: "x".repeat(2_000) } };
    expect(() => eventTexts("task-1", [event("b"), large], 1_000)).toThrow(EventTooLargeError);
  });

  it("measures UTF-8 bytes: near the limit, an event of many-byte characters is counted, not guessed", () => {
    const limit = 2_000;
    const sized = (text: string) => ({ ...event("a"), data: { text } });
    const bytesOf = (text: string) => Buffer.byteLength(JSON.stringify(sized(text))) + Buffer.byteLength("task-1") + 64;
    // 3 × its length is over the limit, its bytes are not: taken.
    const fits = "é".repeat(600);
    expect(JSON.stringify(sized(fits)).length * 3).toBeGreaterThan(limit);
    expect(bytesOf(fits)).toBeLessThanOrEqual(limit);
    expect(eventTexts("task-1", [sized(fits)], limit)).toEqual([JSON.stringify(sized(fits))]);
    // Its bytes are over the limit though its length is not: refused.
    const over = "€".repeat(700);
    expect(JSON.stringify(sized(over)).length).toBeLessThan(limit);
    expect(bytesOf(over)).toBeGreaterThan(limit);
    expect(() => eventTexts("task-1", [sized(over)], limit)).toThrow(EventTooLargeError);
  });
});

describe("streamTypeOf", () => {
  it("reads the category before the first dash", () => {
    expect(streamTypeOf("task-vid-123")).toBe("task");
    expect(streamTypeOf("probe")).toBe("probe");
  });
});

describe("outboxBatchOf", () => {
  const commit = (position: number, size: number) => ({
    position,
    events: toEnvelopes(
      `s-${position}`,
      0,
      Array.from({ length: size }, (_, i) => event(`${position}.${i}`)),
    ),
  });

  it("takes whole commits up to the limit", () => {
    const batch = outboxBatchOf([commit(1, 2), commit(2, 2), commit(3, 1)], 4);
    expect(batch.refs).toEqual(["1", "2"]);
    expect(batch.events).toHaveLength(4);
  });

  it("takes a first commit larger than the limit alone", () => {
    expect(outboxBatchOf([commit(1, 5), commit(2, 1)], 2).refs).toEqual(["1"]);
  });
});
