import type { Catalog, EventData, EventOf, VideoSpec, VideoStatus } from "@reelgate/contracts";
import {
  ConflictError,
  InsufficientFundsError,
  InvalidFieldError,
  notFound,
  UnsupportedOperationError,
} from "./errors.ts";
import { type Quote, quoteExtension, quoteFromSource, quoteRequest } from "./quote.ts";

/** The rules of a `task-{videoId}` stream: what a request, a remix, an edit, an extension or a delete becomes. */
export type TaskEvent = EventOf<"VideoRequested" | "VideoDeleted">;

export interface TaskState {
  videoId: string | null;
  accountId: string | null;
  deleted: boolean;
}

export const initialTask = (): TaskState => ({ videoId: null, accountId: null, deleted: false });

export const evolveTask = (state: TaskState, event: TaskEvent): TaskState => {
  switch (event.type) {
    case "VideoRequested":
      return { videoId: event.data.videoId, accountId: event.data.accountId, deleted: false };
    case "VideoDeleted":
      return { ...state, deleted: true };
    default:
      return state;
  }
};

type InputReference = EventData<"VideoRequested">["inputReference"];
type SourceUpload = EventData<"VideoRequested">["sourceUpload"];

/** The video a remix, edit or extension starts from, as the read model shows it (undefined: none by that id). */
export interface SourceVideo {
  id: string;
  accountId: string;
  deleted: boolean;
  status: VideoStatus;
  /** What was asked for, and what the upstream reported making (null until it did). */
  requested: VideoSpec;
  made: VideoSpec | null;
  /** Whether the channel that made it (where the new job is pinned) can do the operation. */
  channelCanDo: boolean;
}

/** What every new video's command carries: who asks, the id it gets, the prompt, and what the account can spend now. */
interface NewVideo {
  videoId: string;
  accountId: string;
  prompt: string;
  /** The balance less the quotes still pending (views/balance-view): what a new quote must fit in. */
  spendableMicros: number;
  now: Date;
}

/** Where an edit or an extension starts: a Reelgate video by id, or a video file the caller uploaded (already stored). */
export type Source =
  | { kind: "video"; id: string; video: SourceVideo | undefined }
  | { kind: "upload"; upload: NonNullable<SourceUpload>; model: string; supported: boolean };

export type TaskCommand =
  | (NewVideo & {
      type: "RequestVideo";
      quote: Quote;
      inputReference: InputReference;
      /** Whether some channel of the model can do it (text- or image-to-video). */
      supported: boolean;
      operation: "text-to-video" | "image-to-video";
    })
  | (NewVideo & { type: "RemixVideo"; source: { id: string; video: SourceVideo | undefined }; catalog: Catalog })
  | (NewVideo & { type: "EditVideo"; source: Source; catalog: Catalog })
  | (NewVideo & { type: "ExtendVideo"; source: Source; seconds: string | undefined; catalog: Catalog })
  | { type: "DeleteVideo"; videoId: string; accountId: string; now: Date };

const unixSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

const requireFunds = (quoteMicros: number, spendableMicros: number) => {
  if (spendableMicros < quoteMicros)
    throw new InsufficientFundsError(
      "You exceeded your current quota: the account's balance cannot cover this video.",
      { code: "insufficient_quota" },
    );
};

/** The source must be the caller's, not deleted, and completed; another account's is answered as unknown. */
const requireSource = (
  { id, video }: { id: string; video: SourceVideo | undefined },
  accountId: string,
  verb: string,
  param: string,
): SourceVideo => {
  if (!video || video.accountId !== accountId || video.deleted) throw notFound(`video with id '${id}'`);
  if (video.status !== "completed")
    throw new InvalidFieldError(`Video '${id}' is not completed: only a completed video can be ${verb}.`, {
      param,
      code: "invalid_source_video",
    });
  return video;
};

const unsupported = (message: string, param: string) =>
  new UnsupportedOperationError(message, { param, code: "unsupported_operation" });

/**
 * A new request on a stream that already holds one: the same caller's repeat (an Idempotency-Key retried)
 * changes nothing; anyone else's is a conflict (ids are random or derived per account, so it is a bug).
 */
const alreadyRequested = (state: TaskState, accountId: string): boolean => {
  if (!state.videoId) return false;
  if (state.accountId === accountId) return true;
  throw new ConflictError(`Video '${state.videoId}' already exists.`, { code: "conflict" });
};

const requested = (
  command: NewVideo,
  quote: Quote,
  fields: Partial<EventData<"VideoRequested">> & Pick<EventData<"VideoRequested">, "operation">,
): TaskEvent => ({
  type: "VideoRequested",
  data: {
    videoId: command.videoId,
    accountId: command.accountId,
    ...quote.spec,
    prompt: command.prompt,
    quoteMicros: quote.quoteMicros,
    remixedFromVideoId: null,
    inputReference: null,
    createdAt: unixSeconds(command.now),
    sourceVideoId: null,
    sourceUpload: null,
    sourceSeconds: null,
    ...fields,
  },
});

/** Pure: what each command becomes, given the stream as it stands. Refusals are typed errors (domain/errors.ts). */
export const decideTask = (command: TaskCommand, state: TaskState): TaskEvent[] => {
  switch (command.type) {
    case "RequestVideo": {
      if (alreadyRequested(state, command.accountId)) return [];
      const { quote } = command;
      if (!command.supported)
        throw unsupported(
          `Model '${quote.spec.model}' does not support ${command.operation}.`,
          command.operation === "image-to-video" ? "input_reference" : "model",
        );
      requireFunds(quote.quoteMicros, command.spendableMicros);
      return [requested(command, quote, { operation: "create", inputReference: command.inputReference })];
    }
    case "RemixVideo": {
      if (alreadyRequested(state, command.accountId)) return [];
      const source = requireSource(command.source, command.accountId, "remixed", "video_id");
      if (!source.channelCanDo) throw unsupported(`Model '${source.requested.model}' does not support remix.`, "model");
      const quote = quoteFromSource(source.id, source, command.catalog, command.accountId);
      requireFunds(quote.quoteMicros, command.spendableMicros);
      return [requested(command, quote, { operation: "remix", remixedFromVideoId: source.id })];
    }
    case "EditVideo":
    case "ExtendVideo": {
      if (alreadyRequested(state, command.accountId)) return [];
      const operation = command.type === "EditVideo" ? "edit" : "extend";
      const { source } = command;
      if (source.kind === "upload") {
        if (!source.supported)
          throw unsupported(`Model '${source.model}' cannot ${operation} an uploaded video.`, "model");
        // An uploaded file: priced as a create of the model's defaults (an extension: of the seconds asked, at the
        // model's default size).
        const defaults = quoteRequest({ model: source.model }, command.catalog, command.accountId);
        const quote =
          command.type === "ExtendVideo"
            ? quoteExtension(
                { model: source.model, size: defaults.spec.size, seconds: command.seconds },
                command.catalog,
                command.accountId,
              )
            : defaults;
        requireFunds(quote.quoteMicros, command.spendableMicros);
        return [requested(command, quote, { operation, sourceUpload: source.upload })];
      }
      const video = requireSource(source, command.accountId, operation === "edit" ? "edited" : "extended", "video");
      if (!video.channelCanDo)
        throw unsupported(`Video '${video.id}' was made by a channel that cannot ${operation} videos.`, "video");
      const made = video.made ?? video.requested;
      if (command.type === "EditVideo") {
        const quote = quoteFromSource(video.id, video, command.catalog, command.accountId, "video");
        requireFunds(quote.quoteMicros, command.spendableMicros);
        return [requested(command, quote, { operation, sourceVideoId: video.id })];
      }
      // An extension is priced on the extension's seconds, at the source's model and size.
      const quote = quoteExtension(
        { model: made.model, size: made.size, seconds: command.seconds },
        command.catalog,
        command.accountId,
      );
      requireFunds(quote.quoteMicros, command.spendableMicros);
      return [requested(command, quote, { operation, sourceVideoId: video.id, sourceSeconds: made.seconds })];
    }
    case "DeleteVideo": {
      if (!state.videoId || state.accountId !== command.accountId || state.deleted)
        throw notFound(`video with id '${command.videoId}'`);
      return [
        {
          type: "VideoDeleted",
          data: { videoId: command.videoId, accountId: command.accountId, deletedAt: unixSeconds(command.now) },
        },
      ];
    }
  }
};

export const taskAggregate = { initialState: initialTask, evolve: evolveTask, decide: decideTask };
