import type { Variant } from "@reelgate/contracts";

/** The four states every provider's statuses are mapped onto, exactly the public ones. */
export type UpstreamStatus = "queued" | "in_progress" | "completed" | "failed";

/** What we send upstream: the public request with the model already mapped to the channel's name. */
export interface SubmitRequest {
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  /** Sent as an idempotency hint so a retried submit does not start a second job where the upstream honours it. */
  idempotencyKey: string;
  /** The image to animate, sent as the multipart file part `input_reference`. */
  inputReference?: { bytes: Buffer; contentType: string; filename: string };
}

export interface RemixRequest {
  prompt: string;
  idempotencyKey: string;
}

/** What an edit or an extension starts from: a finished upstream job of the same channel, or an uploaded video file. */
export type VideoSource =
  | { kind: "job"; upstreamId: string }
  | { kind: "upload"; body: Uint8Array; contentType: string; filename: string };

/**
 * An edit's request. `idempotencyKey` (beyond the contract's fields, optional): sent as the create's Idempotency-Key
 * where the upstream honours it, so a submit resumed after a crash gets back the job it made.
 */
export interface EditRequest {
  prompt: string;
  model: string;
  idempotencyKey?: string;
}

/** An extension's request: `seconds` is the extension's own length, not the stitched total. */
export interface ExtendRequest extends EditRequest {
  seconds: string;
}

export interface CharacterInput {
  name: string;
  video: { body: Uint8Array; contentType: string; filename: string };
}

export interface JobReport {
  status: UpstreamStatus;
  progress: number;
  model: string;
  seconds: string;
  size: string;
  error: { code: string; message: string } | null;
  expiresAt: number | null;
  variants: Variant[];
  /** What `content` takes to fetch the media when it is not the upstream id (chat-sse: the video link). */
  mediaId?: string;
}

/** A job the upstream accepted. Streamed providers also hand over its reports, ending with a terminal one. */
export interface Submitted {
  upstreamId: string;
  updates?: AsyncIterable<JobReport>;
  /** The job's end, when the submit's own answer already reports it (completed or failed): no poll is needed. */
  report?: JobReport;
}

/** Upstream trouble, classified for failover: `retryable` ones go to another try; the rest fail the job. */
export class UpstreamError extends Error {
  override name = "UpstreamError";
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** The upstream's own words (its `error.message`), for the client when the request itself was wrong. */
  readonly upstreamMessage: string | undefined;
  readonly upstreamCode: string | undefined;
  constructor(
    message: string,
    options: {
      status?: number;
      retryable: boolean;
      retryAfterMs?: number;
      upstreamMessage?: string;
      upstreamCode?: string;
    },
  ) {
    super(message);
    this.status = options.status;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamMessage = options.upstreamMessage;
    this.upstreamCode = options.upstreamCode;
  }
}

export interface Provider {
  /** `poll`: ask `status` until the job ends. `stream`: its reports arrive on the submit's own stream. */
  readonly follow: "poll" | "stream";
  /** The least time between two polls of one job that the provider asks for (Veo: about 10 s); unset: the poller's own schedule. */
  readonly pollIntervalMs?: number;
  /**
   * Asks the upstream something that costs nothing (a list, a missing task) to learn whether it answers and
   * accepts the channel's credentials; throws the UpstreamError it got otherwise.
   */
  check?(): Promise<void>;
  submit(request: SubmitRequest, options?: { signal?: AbortSignal }): Promise<Submitted>;
  status(upstreamId: string): Promise<JobReport>;
  /** A new job from a finished one of this channel, with a new prompt. */
  remix(upstreamId: string, request: RemixRequest): Promise<Submitted>;
  /** A new job: the finished upstream job `upstreamId` of this channel (or an uploaded video) changed as the prompt says. */
  edit?(source: VideoSource, request: EditRequest): Promise<Submitted>;
  /** A new job: the source continued by request.seconds. */
  extend?(source: VideoSource, request: ExtendRequest): Promise<Submitted>;
  /** Synchronous: makes a character upstream from a video file; answers the upstream's character id. */
  createCharacter?(input: CharacterInput): Promise<{ upstreamId: string }>;
  /** Best effort: stops the upstream job where the provider can. */
  cancel(upstreamId: string): Promise<void>;
  /** The media as a stream, with its type and length when the upstream says them. */
  content(
    upstreamId: string,
    variant: Variant,
  ): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; bytes: number | undefined }>;
}
