import type { Channel } from "@reelgate/upstream";
import { describe, expect, it } from "vitest";
import { initialJob, type JobState } from "../src/domain/job.ts";
import { operationOf, submitTarget } from "../src/domain/submit-target.ts";

const channel = (id: string, provider: Channel["provider"], overrides: Partial<Channel> = {}) =>
  ({ id, provider, models: { m: "m" }, disabled: false, priority: 0, weight: 1, ...overrides }) as Channel;
const request = (overrides: Partial<NonNullable<JobState["request"]>> = {}): NonNullable<JobState["request"]> => ({
  videoId: "video_2",
  accountId: "acct_1",
  model: "m",
  seconds: "4",
  size: "720x1280",
  prompt: "p",
  remixedFromVideoId: null,
  inputReference: null,
  operation: "create",
  sourceVideoId: null,
  sourceUpload: null,
  sourceSeconds: null,
  ...overrides,
});
const madeOn = (channelId: string): JobState => ({
  ...initialJob(),
  outcome: "completed",
  completion: { channelId, upstreamId: "up_1" },
});
const upload = { key: "inputs/acct_1/a.mp4", contentType: "video/mp4", bytes: 10 };

describe("submit target", () => {
  const openai = channel("o", "openai");
  const kling = channel("k", "kling");
  const gemini = channel("g", "gemini");

  it("a remix recorded before operations were named is still a remix", () => {
    expect(operationOf(request({ remixedFromVideoId: "video_1" }))).toBe("remix");
    expect(operationOf(request({ operation: "extend" }))).toBe("extend");
  });

  it("an edit or extension of a video goes only to the channel that made it, even disabled, asking for its job", () => {
    const disabled = channel("o", "openai", { disabled: true });
    for (const operation of ["edit", "extend"] as const)
      expect(
        submitTarget(request({ operation, sourceVideoId: "video_1" }), madeOn("o"), [kling, disabled, openai]),
      ).toEqual({ eligible: [disabled], call: { kind: operation, source: { kind: "job", upstreamId: "up_1" } } });
    expect(submitTarget(request({ remixedFromVideoId: "video_1" }), madeOn("o"), [openai])).toEqual({
      eligible: [openai],
      call: { kind: "remix", upstreamId: "up_1" },
    });
  });

  it("fails, naming why, when the source's channel cannot, is gone, or the source never finished", () => {
    const edit = request({ operation: "edit", sourceVideoId: "video_1" });
    expect(submitTarget(edit, madeOn("k"), [kling])).toMatchObject({ fail: { code: "unsupported_operation" } });
    expect(
      submitTarget(request({ operation: "extend", sourceVideoId: "video_1" }), madeOn("k"), [kling]),
    ).toMatchObject({ eligible: [kling] });
    expect(submitTarget(edit, madeOn("gone"), [openai])).toMatchObject({ fail: { code: "channel_removed" } });
    expect(submitTarget(edit, initialJob(), [openai])).toMatchObject({ fail: { code: "edit_source_unavailable" } });
    expect(submitTarget(edit, undefined, [openai])).toMatchObject({ fail: { code: "edit_source_unavailable" } });
  });

  it("an uploaded file goes to the model's channels whose provider takes a file, or fails uncharged", () => {
    const extend = request({ operation: "extend", sourceUpload: upload });
    expect(submitTarget(extend, undefined, [kling, openai, gemini])).toEqual({
      eligible: [openai],
      call: { kind: "extend", source: { kind: "upload" } },
    });
    expect(submitTarget(extend, undefined, [kling, gemini])).toMatchObject({ fail: { code: "unsupported_operation" } });
    expect(submitTarget(extend, undefined, [channel("x", "openai", { models: {} })])).toMatchObject({
      fail: { code: "no_channel" },
    });
    expect(submitTarget(request({ operation: "edit" }), undefined, [openai])).toMatchObject({
      fail: { code: "invalid_request" },
    });
  });

  it("a create goes to any enabled channel of the model", () => {
    expect(submitTarget(request(), undefined, [openai, channel("off", "openai", { disabled: true })])).toEqual({
      eligible: [openai],
      call: { kind: "create" },
    });
  });
});
