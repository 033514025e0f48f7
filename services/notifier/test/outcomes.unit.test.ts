import type { TypedEnvelope, VideoStatus } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import type { VideoOutcome } from "../src/domain/video-outcome.ts";
import type { WebhookDeliveries } from "../src/handlers/deliveries.ts";
import type { WebhookEndpoints } from "../src/handlers/endpoints.ts";
import { videoOutcomes } from "../src/handlers/outcomes.ts";
import type { EndpointDoc, NotifierStores } from "../src/handlers/stores.ts";

const envelope = (type: string, data: Record<string, unknown>, version = 1): TypedEnvelope =>
  ({
    id: `evt_${type}`,
    type,
    schemaVersion: 1,
    stream: "x-video_1",
    version,
    occurredAt: new Date(0).toISOString(),
    correlationId: "video_1",
    causationId: null,
    accountId: "acct_1",
    data: { videoId: "video_1", ...data },
  }) as TypedEnvelope;

/** The handler with in-memory stores, one endpoint, and an ingress whose GET answers `answers` in turn. */
const setUp = (answers: Array<VideoStatus | null>, { endpoints = 1 } = {}) => {
  const docs = new Map<string, VideoOutcome>();
  const asked: string[] = [];
  let updates = 0;
  const outcomes = {
    async update(id: string, fn: (current: VideoOutcome | undefined) => VideoOutcome | undefined) {
      updates += 1;
      const next = fn(docs.get(id));
      if (next) docs.set(id, next);
      return next ?? docs.get(id);
    },
  };
  const scheduled: string[] = [];
  const endpoint = { id: "whe_1", eventTypes: ["video.completed"] } as EndpointDoc;
  const handle = videoOutcomes({
    stores: { outcomes } as unknown as NotifierStores,
    endpoints: { subscribed: async () => (endpoints > 0 ? [endpoint] : []) } as unknown as WebhookEndpoints,
    deliveries: {
      schedule: async (data: { eventId: string }) => void scheduled.push(data.eventId),
    } as unknown as WebhookDeliveries,
    publicStatus: async (videoId: string) => {
      asked.push(videoId);
      return answers.shift() ?? "completed";
    },
    now: () => new Date(1_000_000),
  });
  return { handle, scheduled, asked, docs, updates: () => updates };
};

describe("announcing a video's outcome", () => {
  it("waits while the video's GET does not answer completed yet, then schedules once", async () => {
    const { handle, scheduled } = setUp(["in_progress", "in_progress"]);
    expect(await handle(envelope("JobCompleted", {}, 3), { deliveryCount: 1 })).toBeUndefined();
    const stored = envelope("MediaStored", { variant: "video" });
    expect(await handle(stored, { deliveryCount: 1 })).toEqual({ retryInMs: 50 });
    expect(await handle(stored, { deliveryCount: 2 })).toEqual({ retryInMs: 100 });
    expect(scheduled).toEqual([]);
    expect(await handle(stored, { deliveryCount: 3 })).toBeUndefined();
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]).toMatch(/^evt_/);
    // A redelivery, or a later event of the same video, schedules nothing more.
    await handle(stored, { deliveryCount: 4 });
    await handle(envelope("MediaStored", { variant: "thumbnail" }), { deliveryCount: 1 });
    expect(scheduled).toHaveLength(1);
  });

  it("does not announce a completion before the video's media settled", async () => {
    const { handle, scheduled } = setUp([]);
    await handle(envelope("JobCompleted", {}, 3), { deliveryCount: 1 });
    await handle(envelope("MediaStored", { variant: "thumbnail" }), { deliveryCount: 1 });
    expect(scheduled).toEqual([]);
  });

  it("asks ingress nothing and notes nothing when no endpoint of the account takes the event", async () => {
    const { handle, scheduled, asked, docs } = setUp(["in_progress"], { endpoints: 0 });
    await handle(envelope("JobCompleted", {}, 3), { deliveryCount: 1 });
    expect(await handle(envelope("MediaStored", { variant: "video" }), { deliveryCount: 1 })).toBeUndefined();
    expect(asked).toEqual([]);
    expect(scheduled).toEqual([]);
    expect(docs.get("video_1")?.announced).toEqual([]);
  });

  it("reads and writes no outcome for a thumbnail's or spritesheet's media", async () => {
    const { handle, updates } = setUp([]);
    await handle(envelope("MediaStored", { variant: "thumbnail" }), { deliveryCount: 1 });
    await handle(envelope("MediaStorageFailed", { variant: "spritesheet" }), { deliveryCount: 1 });
    expect(updates()).toBe(0);
    await handle(envelope("MediaStored", { variant: "video" }), { deliveryCount: 1 });
    expect(updates()).toBe(1);
  });
});
