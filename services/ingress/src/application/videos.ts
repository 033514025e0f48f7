import { Readable } from "node:stream";
import {
  type Catalog,
  type CreateVideoRequest,
  type Envelope,
  type EventData,
  eventTypes,
  newEventId,
  newVideoId,
  parseEvent,
  priceOf,
  streamId,
  type TypedEnvelope,
  type Video,
  type VideoSpec,
} from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { extensionOf, type ObjectStorage } from "@reelgate/object-storage";
import type { Operation } from "@reelgate/upstream";
import { spendableMicros } from "../domain/balance-view.ts";
import { statusOf, toVideoObject } from "../domain/video-object.ts";
import { applyToVideoView, isRequested, type VideoView } from "../domain/video-view.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import type { InputFit, InputImageReader, PendingImage } from "../http/form.ts";
import { quoteRequest } from "../http/video-request.ts";
import type { Views } from "../views/views.ts";

export interface VideoDeps {
  store: EventStore;
  objects: ObjectStorage;
  views: Views;
  catalog: Catalog;
  now: () => Date;
  onAppended: () => void;
  /** Whether the channels serving a model can do an operation (libs/upstream's capabilities); unset: all can. */
  supports?: (model: string, operation: Operation) => boolean;
  images: InputImageReader;
}

export type InputReferenceData = EventData<"VideoRequested">["inputReference"];

export interface ListQuery {
  after?: string | undefined;
  limit: number;
  order: "asc" | "desc";
}

/** Ingress's video use cases: accept a request, and answer for the caller's own videos. */
/** SPEC.md §5: input images under `inputs/{account}/…`, one per video. */
const inputKey = (accountId: string, videoId: string, at: Date, contentType: string) =>
  `inputs/${accountId}/${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, "0")}/${videoId}.${extensionOf(contentType)}`;

export const videoService = ({ store, objects, views, catalog, now, onAppended, supports, images }: VideoDeps) => {
  /** Refused before anything is reserved: an operation no channel of the model's providers can do. */
  const requireSupport = (model: string, operation: Operation) => {
    if (supports && !supports(model, operation))
      throw new ApiError(400, `Model '${model}' does not support ${operation}.`, {
        param: operation === "image-to-video" ? "input_reference" : "model",
        code: "unsupported_operation",
      });
  };

  const ownView = async (accountId: string, videoId: string): Promise<VideoView> => {
    const found = await views.videos.get(videoId);
    // Another account's video, a deleted one, or one whose request has not reached the read model yet
    // (other services' events came first) is answered exactly as an unknown one.
    const doc = found?.doc;
    if (!doc || !isRequested(doc) || doc.accountId !== accountId || doc.deleted)
      throw notFound(`video with id '${videoId}'`);
    return doc;
  };

  const append = async (
    stream: string,
    type: "VideoRequested" | "VideoDeleted",
    data: object,
    accountId: string,
    options: { expectedVersion: number | "any"; commitId?: string },
  ) => {
    const at = now();
    const result = await store.append(
      stream,
      [
        {
          id: newEventId(),
          type,
          schemaVersion: eventTypes[type].schemaVersion,
          occurredAt: at.toISOString(),
          correlationId: (data as { videoId: string }).videoId,
          causationId: null,
          accountId,
          data,
        },
      ],
      options,
    );
    onAppended();
    return result.events[0] as TypedEnvelope;
  };

  /** Appends the request and writes its view inline, so a GET right after sees the video. */
  const request = async (
    accountId: string,
    {
      spec,
      prompt,
      quoteMicros,
      remixedFromVideoId,
      image,
      videoId: givenId,
    }: {
      spec: VideoSpec;
      prompt: string;
      quoteMicros: number;
      remixedFromVideoId: string | null;
      /** The image as sent: fetched, decoded and fitted only once the cheap checks (fields, balance) passed. */
      image: { pending: PendingImage; fit: InputFit } | undefined;
      /** Given (derived from an Idempotency-Key) when an earlier attempt may already have recorded it. */
      videoId?: string | undefined;
    },
  ): Promise<Video> => {
    const videoId = givenId ?? newVideoId();
    const [recorded] = givenId ? await store.readStream(streamId("task", givenId), 0, 1) : [];
    if (recorded?.type === "VideoRequested" && recorded.accountId === accountId) {
      const view = await views.videos.update(videoId, (current) =>
        applyToVideoView(current, parseEvent(recorded as Envelope)),
      );
      return toVideoObject(view && isRequested(view) ? view : await ownView(accountId, videoId));
    }
    const [balance, pending] = await Promise.all([
      views.balances.get(accountId),
      views.videos.sum("pendingQuoteMicros", { accountId }),
    ]);
    if (spendableMicros(balance?.doc, pending) < quoteMicros) {
      throw new ApiError(402, "You exceeded your current quota: the account's balance cannot cover this video.", {
        code: "insufficient_quota",
      });
    }
    // Fetched and decoded only now, after the checks that cost nothing; stored only once it decoded and was
    // fitted to the video's size: a refused request leaves nothing behind.
    let inputReference: InputReferenceData = null;
    if (image) {
      const decoded = await images.read(image.pending, { account: accountId });
      const fitted = await images.fit(decoded, spec.size, image.fit);
      const key = inputKey(accountId, videoId, now(), fitted.contentType);
      const stored = await objects.put(key, Readable.from([fitted.bytes]), fitted.contentType);
      inputReference = {
        key,
        contentType: fitted.contentType,
        bytes: stored.bytes,
        sha256: stored.sha256,
        width: fitted.width,
        height: fitted.height,
        fit: image.fit,
      };
    }
    const data: EventData<"VideoRequested"> = {
      videoId,
      accountId,
      ...spec,
      prompt,
      quoteMicros,
      remixedFromVideoId,
      inputReference,
      createdAt: Math.floor(now().getTime() / 1000),
    };
    const requested = await append(streamId("task", videoId), "VideoRequested", data, accountId, {
      expectedVersion: 0,
    });
    // The projection may have been first; either way the view ends the same.
    const view = await views.videos.update(videoId, (current) => applyToVideoView(current, requested));
    return toVideoObject(view && isRequested(view) ? view : await ownView(accountId, videoId));
  };

  return {
    ownView,

    create: (accountId: string, body: CreateVideoRequest, image?: PendingImage, videoId?: string) => {
      const { spec, quoteMicros } = quoteRequest(body, catalog, accountId);
      requireSupport(spec.model, image ? "image-to-video" : "text-to-video");
      return request(accountId, {
        spec,
        prompt: body.prompt,
        quoteMicros,
        remixedFromVideoId: null,
        image: image ? { pending: image, fit: body.input_fit } : undefined,
        videoId,
      });
    },

    /** A new video from a completed one, with the source's parameters; the poller sends it to the source's channel. */
    async remix(accountId: string, sourceId: string, prompt: string, videoId?: string): Promise<Video> {
      const source = await ownView(accountId, sourceId);
      if (statusOf(source).status !== "completed") {
        throw new ApiError(400, `Video '${sourceId}' is not completed: only a completed video can be remixed.`, {
          param: "video_id",
          code: "invalid_source_video",
        });
      }
      // Priced as what the upstream reported making, which is what the remix starts from; as requested
      // when the catalog does not sell what it reported.
      requireSupport(source.task.model, "remix");
      const requested = { model: source.task.model, seconds: source.task.seconds, size: source.task.size };
      const made = source.job?.made;
      const spec = made && priceOf(made, catalog, accountId) !== undefined ? made : requested;
      const quoteMicros = priceOf(spec, catalog, accountId);
      if (quoteMicros === undefined) {
        throw new ApiError(400, `Video '${sourceId}' was made with parameters no longer offered.`, {
          param: "video_id",
        });
      }
      return request(accountId, { spec, prompt, quoteMicros, remixedFromVideoId: sourceId, image: undefined, videoId });
    },

    async retrieve(accountId: string, videoId: string): Promise<Video> {
      return toVideoObject(await ownView(accountId, videoId));
    },

    /** A page of the caller's videos, newest first by default, with a keyset cursor. */
    async list(accountId: string, { after, limit, order }: ListQuery) {
      const cursor = after
        ? await ownView(accountId, after).catch(() => {
            throw new ApiError(400, `Invalid 'after': no video '${after}' to continue from.`, {
              param: "after",
              code: "invalid_cursor",
            });
          })
        : undefined;
      const page = await views.videos.find({
        where: { accountId, deleted: false },
        orderBy: { field: "createdAtMs", direction: order },
        ...(cursor ? { after: { value: cursor.createdAtMs, id: cursor.id } } : {}),
        limit: limit + 1,
      });
      const data = page.slice(0, limit).filter(isRequested).map(toVideoObject);
      return {
        object: "list" as const,
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: page.length > limit,
      };
    },

    /** Deletes the video for its owner; storage removes its media, the poller cancels a running job. */
    async delete(accountId: string, videoId: string) {
      await ownView(accountId, videoId);
      const data: EventData<"VideoDeleted"> = { videoId, accountId, deletedAt: Math.floor(now().getTime() / 1000) };
      const deleted = await append(streamId("task", videoId), "VideoDeleted", data, accountId, {
        expectedVersion: "any",
        commitId: `delete:${videoId}`,
      });
      await views.videos.update(videoId, (current) => applyToVideoView(current, deleted));
      return { id: videoId, object: "video.deleted" as const, deleted: true as const };
    },

    /** The view itself, for the legacy query endpoints. */
    view: (accountId: string, videoId: string): Promise<VideoView> => ownView(accountId, videoId),
  };
};

export type VideoService = ReturnType<typeof videoService>;
