import { Readable } from "node:stream";
import { streamId, type TypedEnvelope, type Variant } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { extensionOf, type ObjectStorage } from "@reelgate/object-storage";
import { aggregateRepository } from "@reelgate/runtime";
import { type Channel, type Provider, UpstreamError } from "@reelgate/upstream";
import { type AssetCommand, assetAggregate, isSettled, mediaKey } from "../domain/asset.ts";

export interface CopyMediaDeps {
  store: EventStore;
  objects: ObjectStorage;
  channels: () => Channel[];
  providerFor: (channel: Channel) => Provider;
  /** Copy attempts per variant on retryable trouble before the copy is recorded as failed. */
  maxAttempts: number;
  onAppended: () => void;
  now: () => Date;
}

/** Copies every variant of a finished video from the upstream into our storage, once. */
export const copyMedia = (deps: CopyMediaDeps) => {
  const assets = aggregateRepository(deps.store, assetAggregate);

  const record = async (event: TypedEnvelope, command: AssetCommand) => {
    const decision = await assets.execute(streamId("asset", command.videoId), command, {
      commitId: `${command.type === "RecordStored" ? "stored" : "failed"}-${command.variant}:${command.videoId}`,
      correlationId: command.videoId,
      causationId: event.id,
      accountId: event.accountId,
      now: deps.now(),
    });
    if (decision.events.length > 0) deps.onAppended();
  };

  const copyOne = async (event: TypedEnvelope & { type: "JobCompleted" }, provider: Provider, variant: Variant) => {
    const { videoId, upstreamId, completedAt } = event.data;
    const media = await provider.content(upstreamId, variant);
    const key = mediaKey({
      accountId: event.accountId ?? "unknown",
      videoId,
      variant,
      extension: extensionOf(media.contentType),
      at: new Date(completedAt * 1000),
    });
    const stored = await deps.objects.put(
      key,
      Readable.fromWeb(media.body as import("node:stream/web").ReadableStream),
      media.contentType,
    );
    if (media.bytes !== undefined && stored.bytes !== media.bytes) {
      await deps.objects.delete(key);
      throw new UpstreamError(`${variant}: got ${stored.bytes} of ${media.bytes} bytes`, { retryable: true });
    }
    await record(event, { type: "RecordStored", videoId, variant, ...stored });
  };

  return async (event: TypedEnvelope & { type: "JobCompleted" }, deliveryCount: number) => {
    const { videoId, channelId, variants } = event.data;
    const { state } = await assets.load(streamId("asset", videoId));
    const pending = variants.filter((variant) => !isSettled(state, variant));
    if (pending.length === 0) return;
    const channel = deps.channels().find((candidate) => candidate.id === channelId);
    if (!channel) {
      for (const variant of pending)
        await record(event, { type: "RecordStorageFailure", videoId, variant, reason: `channel ${channelId} is gone` });
      return;
    }
    const provider = deps.providerFor(channel);
    let retry: unknown;
    // The main video first: it is what the client waits for.
    for (const variant of pending) {
      try {
        await copyOne(event, provider, variant);
      } catch (error) {
        const retryable = !(error instanceof UpstreamError) || error.retryable;
        if (retryable && deliveryCount < deps.maxAttempts) {
          retry = error;
          continue;
        }
        const reason = error instanceof Error ? error.message : String(error);
        await record(event, { type: "RecordStorageFailure", videoId, variant, reason });
      }
    }
    if (retry) throw retry;
  };
};
