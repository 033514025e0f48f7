import type { EventData, TypedEnvelope, Variant } from "@reelgate/contracts";
import { extensionOf, mediaKey, mediaPrefix, type ObjectStorage } from "@reelgate/object-storage";
import { type Channel, type Provider, UpstreamError } from "@reelgate/upstream";
import { isSettled } from "../domain/asset.ts";
import type { AssetRecords } from "./asset-records.ts";
import { removeObjects } from "./delete-media.ts";
import { sniffedBody } from "./sniffed-body.ts";

export interface CopyMediaDeps {
  records: AssetRecords;
  objects: ObjectStorage;
  channels: () => Channel[];
  providerFor: (channel: Channel) => Provider;
  /** Copy attempts per variant on retryable trouble before the copy is recorded as failed. */
  maxAttempts: number;
}

/** A completion, on time or after the poller had given up: either way the media is copied. */
type JobCompleted = TypedEnvelope & { type: "JobCompleted" | "JobCompletedLate" };

/**
 * Copies every variant of a finished video from the upstream into our storage, once. The variants are fetched at
 * once; the video is recorded as soon as it is stored (the client waits for it), the others together in one commit.
 */
export const copyMedia = ({ records, objects, channels, providerFor, maxAttempts }: CopyMediaDeps) => {
  /** Fetches one variant and stores it; records nothing. */
  const store = async (event: JobCompleted, provider: Provider, variant: Variant, deliveryCount: number) => {
    const { videoId, upstreamId, completedAt } = event.data;
    const place = { accountId: event.accountId ?? "unknown", videoId, at: new Date(completedAt * 1000) };
    // An earlier attempt killed mid-copy may have left a partial file or an open multipart upload. Only a
    // redelivery can follow one (a copy that fails without dying removes its own): the first delivery does not
    // look, which saves a directory listing (or an S3 list) per variant.
    if (deliveryCount > 1) await objects.removeIncomplete(`${mediaPrefix(place)}${variant}.`);
    const media = await provider.content(upstreamId, variant);
    // The stored type is what the bytes are, never what the upstream's header claims.
    const { contentType, chunks } = await sniffedBody(media.body, variant);
    const key = mediaKey({ ...place, variant, extension: extensionOf(contentType) });
    const stored = await objects.put(key, chunks, contentType);
    if (media.bytes !== undefined && stored.bytes !== media.bytes) {
      await objects.delete(key);
      throw new UpstreamError(`${variant}: got ${stored.bytes} of ${media.bytes} bytes`, { retryable: true });
    }
    return { videoId, variant, ...stored };
  };

  /**
   * Records stored variants in one commit. Its id names them (`stored-video:…`, `stored-thumbnail+spritesheet:…`): a
   * redelivery finds them settled and copies nothing, and an append repeated after a crash appends nothing.
   */
  const record = async (event: JobCompleted, stored: Array<EventData<"MediaStored">>) => {
    const { videoId } = event.data;
    const { state } = await records.execute(
      { type: "RecordStored", videoId, stored },
      {
        commitId: `stored-${stored.map(({ variant }) => variant).join("+")}:${videoId}`,
        causationId: event.id,
        accountId: event.accountId,
      },
    );
    // The video was deleted while we copied: the objects must not outlive it.
    if (state.deleted)
      await removeObjects(
        objects,
        stored.map(({ key }) => key),
      );
  };
  const recordFailure = (event: JobCompleted, data: EventData<"MediaStorageFailed">) =>
    records.execute(
      { type: "RecordStorageFailure", ...data },
      { commitId: `failed-${data.variant}:${data.videoId}`, causationId: event.id, accountId: event.accountId },
    );

  return async (event: JobCompleted, deliveryCount: number) => {
    const { videoId, channelId, upstreamId, expiresAt, variants } = event.data;
    const { state } = await records.load(videoId);
    if (state.deleted) return;
    const pending = variants.filter((variant) => !isSettled(state, variant));
    if (pending.length === 0) return;
    const channel = channels().find((candidate) => candidate.id === channelId);
    if (!channel) {
      // The channels file is followed live and each service re-reads it on its own: a channel the
      // poller already used may not have reached this process yet. Wait for it, then give up.
      if (deliveryCount < maxAttempts)
        throw new UpstreamError(`channel ${channelId} is not in the channels file (yet)`, { retryable: true });
      for (const variant of pending)
        await recordFailure(event, { videoId, variant, reason: `channel ${channelId} is gone`, fallback: null });
      return;
    }
    const provider = providerFor(channel);
    let retry: unknown;
    /** Trouble that may pass is retried by a redelivery while attempts remain; any other is recorded as final. */
    const settle = async (variant: Variant, error: unknown) => {
      const retryable = !(error instanceof UpstreamError) || error.retryable;
      if (retryable && deliveryCount < maxAttempts) {
        retry = error;
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      await recordFailure(event, { videoId, variant, reason, fallback: { channelId, upstreamId, expiresAt } });
    };
    const copying = (variant: Variant) =>
      store(event, provider, variant, deliveryCount).then(
        (stored) => ({ variant, stored }),
        (error: unknown) => ({ variant, error }),
      );
    const copies = pending.map(copying);
    const main = copies.splice(pending.indexOf("video"), pending.includes("video") ? 1 : 0)[0];
    // The main video's record does not wait for the others'.
    const recordVideo = async () => {
      const copied = await main;
      if (!copied) return;
      if ("stored" in copied) await record(event, [copied.stored]);
      else await settle(copied.variant, copied.error);
    };
    const recordOthers = async () => {
      const others = await Promise.all(copies);
      const stored = others.flatMap((copied) => ("stored" in copied ? [copied.stored] : []));
      if (stored.length > 0) await record(event, stored);
      for (const copied of others) if ("error" in copied) await settle(copied.variant, copied.error);
    };
    for (const outcome of await Promise.allSettled([recordVideo(), recordOthers()]))
      if (outcome.status === "rejected") throw outcome.reason;
    // A delete that lands mid-copy removes the video's folder, partial files included: that copy fails, and need
    // not be tried again.
    if (retry && !(await records.load(videoId)).state.deleted) throw retry;
  };
};
