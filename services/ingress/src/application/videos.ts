import {
  type Catalog,
  type CreateVideoRequest,
  eventTypes,
  newEventId,
  newVideoId,
  streamId,
  type TypedEnvelope,
  type Video,
} from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { spendableMicros } from "../domain/balance-view.ts";
import { toVideoObject } from "../domain/video-object.ts";
import { applyToVideoView } from "../domain/video-view.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import { quoteRequest } from "../http/video-request.ts";
import type { Views } from "../views/views.ts";

export interface VideoDeps {
  store: EventStore;
  views: Views;
  catalog: Catalog;
  now: () => Date;
  onAppended: () => void;
}

/** Ingress's video use cases: accept a request, and answer for the caller's own videos. */
export const videoService = ({ store, views, catalog, now, onAppended }: VideoDeps) => {
  const ownView = async (accountId: string, videoId: string) => {
    const found = await views.videos.get(videoId);
    // Another account's video is answered exactly as an unknown one.
    if (!found || found.doc.accountId !== accountId) throw notFound(`video with id '${videoId}'`);
    return found.doc;
  };

  return {
    ownView,

    async create(accountId: string, request: CreateVideoRequest): Promise<Video> {
      const { spec, quoteMicros } = quoteRequest(request, catalog);
      const [balance, pending] = await Promise.all([
        views.balances.get(accountId),
        views.videos.sum("pendingQuoteMicros", { accountId }),
      ]);
      if (spendableMicros(balance?.doc, pending) < quoteMicros) {
        throw new ApiError(402, "You exceeded your current quota: the account's balance cannot cover this video.", {
          code: "insufficient_quota",
        });
      }
      const videoId = newVideoId();
      const at = now();
      const data = {
        videoId,
        accountId,
        ...spec,
        prompt: request.prompt,
        quoteMicros,
        remixedFromVideoId: null,
        inputReference: null,
        createdAt: Math.floor(at.getTime() / 1000),
      };
      const { events } = await store.append(
        streamId("task", videoId),
        [
          {
            id: newEventId(),
            type: "VideoRequested",
            schemaVersion: eventTypes.VideoRequested.schemaVersion,
            occurredAt: at.toISOString(),
            correlationId: videoId,
            causationId: null,
            accountId,
            data,
          },
        ],
        { expectedVersion: 0 },
      );
      onAppended();
      // Written inline so a GET right after the create sees the video; the projection may have been first.
      const requested = events[0] as TypedEnvelope;
      const view = await views.videos.update(videoId, (current) => applyToVideoView(current, requested));
      return toVideoObject(view ?? (await ownView(accountId, videoId)));
    },

    async retrieve(accountId: string, videoId: string): Promise<Video> {
      return toVideoObject(await ownView(accountId, videoId));
    },
  };
};

export type VideoService = ReturnType<typeof videoService>;
