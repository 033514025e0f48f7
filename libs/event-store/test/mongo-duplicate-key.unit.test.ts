import { describe, expect, it } from "vitest";
import { duplicateKeyOf } from "../src/mongo-duplicate-key.ts";

describe("duplicateKeyOf", () => {
  it("tells a taken commit slot from a repeated commit", () => {
    expect(duplicateKeyOf({ code: 11000, keyPattern: { streamId: 1, seq: 1 } })).toBe("streamSeq");
    expect(duplicateKeyOf({ code: 11000, keyPattern: { commitId: 1 } })).toBe("other");
    expect(duplicateKeyOf({ code: 11000, keyPattern: { "events.id": 1 } })).toBe("other");
  });

  it("falls back to the index name in the message", () => {
    const message =
      'E11000 duplicate key error collection: db.x.events index: streamId_seq dup key: { streamId: "a", seq: 2 }';
    expect(duplicateKeyOf({ code: 11000, message })).toBe("streamSeq");
    expect(duplicateKeyOf({ code: 11000, message: "E11000 ... index: commitId dup key" })).toBe("other");
  });

  it("ignores everything else", () => {
    expect(duplicateKeyOf(new Error("boom"))).toBeUndefined();
    expect(duplicateKeyOf({ code: 112 })).toBeUndefined();
    expect(duplicateKeyOf(undefined)).toBeUndefined();
  });
});
