import { Readable } from "node:stream";
import {
  type Catalog,
  type CreateVideoRequest,
  type Envelope,
  type EventData,
  newVideoId,
  parseEvent,
  streamId,
  type Video,
} from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { inputImageKey, type ObjectStorage } from "@reelgate/object-storage";
import { aggregateRepository } from "@reelgate/runtime";
import type { Operation } from "@reelgate/upstream";
import type { InputFit, InputImageReader, PendingImage } from "../adapters/input-image/index.ts";
import { InvalidFieldError, notFound } from "../domain/errors.ts";
import { quoteRequest } from "../domain/quote.ts";
import { type SourceVideo, type TaskCommand, taskAggregate } from "../domain/task.ts";
import { spendableMicros } from "../views/balance-view.ts";
import { statusOf, toVideoObject } from "../views/video-object.ts";
import { applyToVideoView, isRequested, type VideoView } from "../views/video-view.ts";
import type { Views } from "../views/views.ts";
import { pendingQuotesPerTurn } from "./pending-quotes.ts";

export interface VideoDeps {
  store: EventStore;
  objects: ObjectStorage;
  views: Views;
  catalog: Catalog;
  now: () => Date;
  onAppended: () => void;
  /** Whether the channels serving a model can do an operation (libs/upstream's capabilities); unset: all can. */
  supports?: (model: string, operation: Operation) => boolean;
  /**
   * Whether the channel that made a video can do an operation on it (edits and extensions are pinned there);
   * unset, or a channel no longer configured: as `supports` says of the model.
   */
  channelSupports?: (channelId: string, operation: Operation) => boolean | undefined;
  images: InputImageReader;
}

export type InputReferenceData = EventData<"VideoRequested">["inputReference"];

export interface ListQuery {
  after?: string | undefined;
  limit: number;
  order: "asc" | "desc";
}

/** A video file a client uploaded as the source of an edit or extension. */
export interface UploadedVideo {
  bytes: Buffer;
  contentType: string;
}

/** An edit or extension request, its `video` already read: an id, or an uploaded file. */
export interface VideoOperationRequest {
  prompt: string;
  model?: string | undefined;
  seconds?: string | undefined;
  source: { kind: "video"; id: string } | { kind: "upload"; file: UploadedVideo };
}

/** Ingress's video use cases: each loads what the task decider needs, runs it, and answers from the read model. */
export const videoService = ({
  store,
  objects,
  views,
  catalog,
  now,
  onAppended,
  supports,
  channelSupports,
  images,
}: VideoDeps) => {
  const tasks = aggregateRepository(store, taskAggregate);
  const modelCanDo = (model: string, operation: Operation) => !supports || supports(model, operation);

  /**
   * `polled`: a read that follows its request's API-key lookup in the same views store (every authenticated
   * request's first read, which looked for other connections' commits after the request began): no second look.
   */
  const ownView = async (accountId: string, videoId: string, polled = false): Promise<VideoView> => {
    const found = await views.videos.get(videoId, { lookedSinceStart: polled });
    // Another account's video, a deleted one, or one whose request has not reached the read model yet
    // (other services' events came first) is answered exactly as an unknown one.
    const doc = found?.doc;
    if (!doc || !isRequested(doc) || doc.accountId !== accountId || doc.deleted)
      throw notFound(`video with id '${videoId}'`);
    return doc;
  };

  /** A source as the decider judges it; the channel's abilities are asked only of a video that has one. */
  const sourceVideo = async (videoId: string, operation: Operation): Promise<SourceVideo | undefined> => {
    const doc = (await views.videos.get(videoId))?.doc;
    if (!doc || !isRequested(doc)) return undefined;
    const requested = { model: doc.task.model, seconds: doc.task.seconds, size: doc.task.size };
    const channel = doc.job?.channelId;
    const byChannel = channel && operation !== "remix" ? channelSupports?.(channel, operation) : undefined;
    return {
      id: doc.id,
      accountId: doc.accountId,
      deleted: doc.deleted,
      status: statusOf(doc).status,
      requested,
      made: doc.job?.made ?? null,
      channelCanDo: byChannel ?? modelCanDo(requested.model, operation),
    };
  };

  const pendingQuotes = pendingQuotesPerTurn((accountId) => views.videos.sum("pendingQuoteMicros", { accountId }));
  const spendable = async (accountId: string) => {
    const [balance, pending] = await Promise.all([views.balances.get(accountId), pendingQuotes(accountId)]);
    return spendableMicros(balance?.doc, pending);
  };

  /** The video as the caller sees it now, its view written inline from the recorded request (a GET right after sees it). */
  const answer = async (accountId: string, videoId: string, recorded: Envelope | undefined): Promise<Video> => {
    const event = recorded ?? (await store.readStream(streamId("task", videoId), 0, 1))[0];
    const view = event
      ? await views.videos.update(videoId, (current) => applyToVideoView(current, parseEvent(event)))
      : undefined;
    return toVideoObject(view && isRequested(view) ? view : await ownView(accountId, videoId));
  };

  /** Runs a command on the video's stream; the events are built by libs/runtime from the decision. */
  const run = async (videoId: string, accountId: string, command: TaskCommand, commitId: string) => {
    const decision = await tasks.execute(streamId("task", videoId), command, {
      commitId,
      correlationId: videoId,
      causationId: null,
      accountId,
      now: now(),
    });
    if (decision.events.length > 0) onAppended();
    return decision.events[0];
  };

  /** The cheap checks (fields, support, funds) of a command whose attachment costs: decided without appending. */
  const precheck = async (videoId: string, command: TaskCommand) => {
    const { state } = await tasks.load(streamId("task", videoId));
    return taskAggregate.decide(command, state);
  };

  const newVideo = async (accountId: string, prompt: string, givenId: string | undefined) => ({
    videoId: givenId ?? newVideoId(),
    accountId,
    prompt,
    spendableMicros: await spendable(accountId),
    now: now(),
  });

  /** Stores an uploaded source video under the account's inputs, once the request passed its checks. */
  const storeUpload = async (accountId: string, videoId: string, file: UploadedVideo) => {
    const contentType = file.contentType || "application/octet-stream";
    const key = inputImageKey({ accountId, videoId, at: now(), contentType, suffix: "-source" });
    const stored = await objects.put(key, Readable.from([file.bytes]), contentType);
    return { key, contentType, bytes: stored.bytes };
  };

  /** Edit and extend share their flow; only the command differs. */
  const operate = async (
    type: "EditVideo" | "ExtendVideo",
    accountId: string,
    request: VideoOperationRequest,
    givenId: string | undefined,
  ): Promise<Video> => {
    const operation = type === "EditVideo" ? "edit" : "extend";
    const base = await newVideo(accountId, request.prompt, givenId);
    const extra = type === "ExtendVideo" ? { seconds: request.seconds } : {};
    if (request.source.kind === "video") {
      const source = {
        kind: "video" as const,
        id: request.source.id,
        video: await sourceVideo(request.source.id, operation),
      };
      const command = { ...base, type, source, catalog, ...extra } as TaskCommand;
      const event = await run(base.videoId, accountId, command, `request:${base.videoId}`);
      return answer(accountId, base.videoId, event);
    }
    const model = request.model ?? "sora-2";
    const pending = { key: "", contentType: request.source.file.contentType, bytes: request.source.file.bytes.length };
    const uploadSource = (upload: typeof pending) => ({
      kind: "upload" as const,
      upload,
      model,
      supported: modelCanDo(model, operation),
    });
    const command = (upload: typeof pending) =>
      ({ ...base, type, source: uploadSource(upload), catalog, ...extra }) as TaskCommand;
    // Stored only once the cheap checks passed: a refused request leaves nothing behind.
    if ((await precheck(base.videoId, command(pending))).length === 0)
      return answer(accountId, base.videoId, undefined);
    const upload = await storeUpload(accountId, base.videoId, request.source.file);
    const event = await run(base.videoId, accountId, command(upload), `request:${base.videoId}`);
    return answer(accountId, base.videoId, event);
  };

  return {
    ownView,

    async create(accountId: string, body: CreateVideoRequest, image?: PendingImage, givenId?: string): Promise<Video> {
      const quote = quoteRequest(body, catalog, accountId);
      const operation = image ? "image-to-video" : "text-to-video";
      const base = await newVideo(accountId, body.prompt, givenId);
      const command = (inputReference: InputReferenceData): TaskCommand => ({
        ...base,
        type: "RequestVideo",
        quote,
        inputReference,
        supported: modelCanDo(quote.spec.model, operation),
        operation,
      });
      if (image) {
        // Fetched and decoded only once the checks that cost nothing (fields, support, balance) passed; stored only
        // once it decoded and was fitted to the video's size: a refused request leaves nothing behind.
        if ((await precheck(base.videoId, command(null))).length === 0)
          return answer(accountId, base.videoId, undefined);
        const fit: InputFit = body.input_fit;
        const decoded = await images.read(image, { account: accountId });
        const fitted = await images.fit(decoded, quote.spec.size, fit);
        const key = inputImageKey({ accountId, videoId: base.videoId, at: now(), contentType: fitted.contentType });
        const stored = await objects.put(key, Readable.from([fitted.bytes]), fitted.contentType);
        const inputReference = {
          key,
          contentType: fitted.contentType,
          bytes: stored.bytes,
          sha256: stored.sha256,
          width: fitted.width,
          height: fitted.height,
          fit,
        };
        return answer(
          accountId,
          base.videoId,
          await run(base.videoId, accountId, command(inputReference), `request:${base.videoId}`),
        );
      }
      return answer(
        accountId,
        base.videoId,
        await run(base.videoId, accountId, command(null), `request:${base.videoId}`),
      );
    },

    /** A new video from a completed one, with the source's parameters; the poller sends it to the source's channel. */
    async remix(accountId: string, sourceId: string, prompt: string, givenId?: string): Promise<Video> {
      const base = await newVideo(accountId, prompt, givenId);
      const source = { id: sourceId, video: await sourceVideo(sourceId, "remix") };
      const event = await run(
        base.videoId,
        accountId,
        { ...base, type: "RemixVideo", source, catalog },
        `request:${base.videoId}`,
      );
      return answer(accountId, base.videoId, event);
    },

    /** A new video: a completed one (or an uploaded file) changed as the prompt says, on the channel that made it. */
    edit: (accountId: string, request: VideoOperationRequest, videoId?: string) =>
      operate("EditVideo", accountId, request, videoId),

    /** A new video: a completed one (or an uploaded file) continued by `seconds`, priced on the extension. */
    extend: (accountId: string, request: VideoOperationRequest, videoId?: string) =>
      operate("ExtendVideo", accountId, request, videoId),

    /** A poll, after its request's key lookup (see `ownView`). */
    async retrieve(accountId: string, videoId: string): Promise<Video> {
      return toVideoObject(await ownView(accountId, videoId, true));
    },

    /** A page of the caller's videos, newest first by default, with a keyset cursor. */
    async list(accountId: string, { after, limit, order }: ListQuery) {
      const cursor = after
        ? await ownView(accountId, after).catch(() => {
            throw new InvalidFieldError(`Invalid 'after': no video '${after}' to continue from.`, {
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
      const deleted = await run(
        videoId,
        accountId,
        { type: "DeleteVideo", videoId, accountId, now: now() },
        `delete:${videoId}`,
      );
      if (deleted) await views.videos.update(videoId, (current) => applyToVideoView(current, parseEvent(deleted)));
      return { id: videoId, object: "video.deleted" as const, deleted: true as const };
    },

    /** The view itself, for the legacy query endpoints. */
    view: (accountId: string, videoId: string): Promise<VideoView> => ownView(accountId, videoId),
  };
};

export type VideoService = ReturnType<typeof videoService>;
