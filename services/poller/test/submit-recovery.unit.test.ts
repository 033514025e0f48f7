import { deciderSpec } from "@reelgate/testkit";
import type { Channel } from "@reelgate/upstream";
import { describe, expect, it } from "vitest";
import { decideJob } from "../src/domain/decide.ts";
import { evolveJob, initialJob, type JobEvent } from "../src/domain/job.ts";
import { recoverSubmit } from "../src/domain/submit-recovery.ts";

const spec = deciderSpec({ initialState: initialJob, evolve: evolveJob, decide: decideJob });
const request = {
  videoId: "video_1",
  accountId: "acct_1",
  model: "sora-2",
  seconds: "8",
  size: "720x1280",
  prompt: "p",
  remixedFromVideoId: null,
  inputReference: null,
  operation: "create" as const,
  sourceVideoId: null,
  sourceUpload: null,
  sourceSeconds: null,
};
const queued: JobEvent = { type: "JobQueued", data: request };
const intent = (channelId: string, attempt = 1): JobEvent => ({
  type: "SubmitAttempted",
  data: { videoId: "video_1", channelId, attempt, idempotencyKey: "video_1", startedAt: 100 },
});
const submitted: JobEvent = {
  type: "JobSubmitted",
  data: { videoId: "video_1", channelId: "main", upstreamId: "up_1", submittedAt: 101 },
};
const failed = (channelId: string): JobEvent => ({
  type: "SubmitAttemptFailed",
  data: { videoId: "video_1", channelId, attempt: 1, status: 503, message: "down", retryAfterMs: null, failedAt: 101 },
});
const stateOf = (events: JobEvent[]) => events.reduce(evolveJob, initialJob());

const channel = (id: string, provider: Channel["provider"]) => ({ id, provider }) as Channel;

describe("submit intent", () => {
  it("is recorded once per try, carrying the key sent upstream and the try's number", () => {
    const command = { type: "RecordSubmitIntent", channelId: "main", idempotencyKey: "video_1", now: 100 } as const;
    spec
      .given([queued])
      .when(command)
      .thenEmits([intent("main")]);
    spec
      .given([queued, intent("main")])
      .when(command)
      .thenNothingHappened();
    spec
      .given([queued, intent("main"), submitted])
      .when(command)
      .thenNothingHappened();
    spec
      .given([queued, intent("main"), failed("main")])
      .when({ ...command, channelId: "backup" })
      .thenEmits([intent("backup", 2)]);
  });

  it("is settled by the try's JobSubmitted or SubmitAttemptFailed", () => {
    expect(stateOf([queued, intent("main")]).unsettled).toMatchObject({ channelId: "main", idempotencyKey: "video_1" });
    expect(stateOf([queued, intent("main"), submitted]).unsettled).toBeUndefined();
    expect(stateOf([queued, intent("main"), failed("main")]).unsettled).toBeUndefined();
  });
});

describe("recoverSubmit", () => {
  const channels = [channel("main", "openai"), channel("azure", "azure"), channel("chat", "chat-sse")];

  it("has nothing to settle when no try is in doubt", () => {
    expect(recoverSubmit(stateOf([queued]), channels)).toEqual({ kind: "none" });
    expect(recoverSubmit(stateOf([queued, intent("main"), submitted]), channels)).toEqual({ kind: "none" });
  });

  it("resumes a try in doubt on a videos-API channel with the same key", () => {
    for (const id of ["main", "azure"]) {
      expect(recoverSubmit(stateOf([queued, intent(id)]), channels)).toMatchObject({
        kind: "resume",
        channel: { id },
        idempotencyKey: "video_1",
      });
    }
  });

  it("abandons (records as failed) a try in doubt on a chat stream, or on a channel no longer configured", () => {
    expect(recoverSubmit(stateOf([queued, intent("chat")]), channels)).toMatchObject({
      kind: "abandon",
      channelId: "chat",
    });
    expect(recoverSubmit(stateOf([queued, intent("gone")]), channels)).toMatchObject({
      kind: "abandon",
      channelId: "gone",
    });
  });
});
