import { z } from "zod";
import type { Category, Envelope } from "./envelope.ts";

const micros = z.number().int();
const videoId = z.string().startsWith("video_");
/** Every billing event carries the account's totals after it, so a view can take the newest and ignore order. */
const totals = { balanceMicros: micros, reservedMicros: micros };
export const variants = ["video", "thumbnail", "spritesheet"] as const;
export type Variant = (typeof variants)[number];

const spec = { model: z.string(), seconds: z.string(), size: z.string() };
/** The image to animate, stored by ingress in object storage; events carry its key, never its bytes. */
const inputReference = z
  .object({
    key: z.string(),
    contentType: z.string(),
    bytes: z.number().int().nonnegative(),
    sha256: z.string(),
    /** The stored image's dimensions, after `input_fit` (absent on events recorded before images were decoded). */
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    fit: z.enum(["cover", "contain", "none"]).optional(),
  })
  .nullable()
  .default(null);

/**
 * How long after a job's deadline the poller still asks the upstream, to record a late completion
 * (JobCompletedLate): a day, as long as upstream links live. Storage keeps unsettled media that long too.
 */
export const LATE_COMPLETION_WINDOW_MS = 24 * 3_600_000;

/** What the upstream reports of a finished job: on time (JobCompleted) or late (JobCompletedLate). */
const completion = z.object({
  videoId,
  channelId: z.string(),
  upstreamId: z.string(),
  ...spec,
  variants: z.array(z.enum(variants)),
  completedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
});

/**
 * What a job does and what it starts from (edits and extensions, SPEC §1.1); defaults keep every event
 * stored before them valid. Carried by VideoRequested and, copied by the poller, JobQueued.
 */
export const videoOperation = {
  /** What the job does; a remix is also still marked by remixedFromVideoId (older events carry no operation). */
  operation: z.enum(["create", "remix", "edit", "extend"]).default("create"),
  /** edit/extend of a Reelgate video: that video's id (same account, completed). Null otherwise. */
  sourceVideoId: z.string().nullable().default(null),
  /** edit/extend of an uploaded video file: where ingress stored it (inputs/{account}/…). Null otherwise. */
  sourceUpload: z
    .object({ key: z.string(), contentType: z.string(), bytes: z.number().int() })
    .nullable()
    .default(null),
  /** extend: the source video's seconds (string, as Video.seconds), so the result shows the stitched total. */
  sourceSeconds: z.string().nullable().default(null),
};

/** Each event type: its category (which service writes it), data schema and schema version. */
export const eventTypes = {
  // ingress
  VideoRequested: {
    category: "task",
    schemaVersion: 1,
    data: z.object({
      videoId,
      accountId: z.string(),
      ...spec,
      prompt: z.string(),
      quoteMicros: micros,
      remixedFromVideoId: z.string().nullable(),
      inputReference,
      createdAt: z.number().int(),
      ...videoOperation,
    }),
  },
  VideoDeleted: {
    category: "task",
    schemaVersion: 1,
    data: z.object({ videoId, accountId: z.string(), deletedAt: z.number().int() }),
  },
  /** A character (SPEC §1.1) made upstream from a video; its stream is `character-{characterId}`. */
  CharacterCreated: {
    category: "character",
    schemaVersion: 1,
    data: z.object({
      /** "char_" + 32 hex, minted by Reelgate; upstream ids never leak. */
      characterId: z.string(),
      accountId: z.string(),
      name: z.string(),
      /** The channel that holds it. */
      channelId: z.string(),
      /** The upstream's character id. */
      upstreamId: z.string(),
      createdAt: z.number().int(),
    }),
  },
  ApiKeyIssued: {
    category: "apikey",
    schemaVersion: 1,
    data: z.object({ keyId: z.string(), accountId: z.string(), name: z.string(), sha256: z.string() }),
  },
  ApiKeyRevoked: { category: "apikey", schemaVersion: 1, data: z.object({ keyId: z.string() }) },
  // billing
  AccountOpened: {
    category: "account",
    schemaVersion: 1,
    data: z.object({ accountId: z.string(), name: z.string(), ...totals }),
  },
  FundsCredited: {
    category: "account",
    schemaVersion: 1,
    data: z.object({ amountMicros: micros, reference: z.string(), ...totals }),
  },
  /** A correction by an operator (the credits route with a negative amount); `reference` makes it idempotent like a top-up. */
  FundsAdjusted: {
    category: "account",
    schemaVersion: 1,
    data: z.object({ amountMicros: micros, reference: z.string(), ...totals }),
  },
  FundsReserved: {
    category: "account",
    schemaVersion: 1,
    data: z.object({
      videoId,
      amountMicros: micros,
      ...totals,
      /** An extension's reservation: the source video's seconds, which its capture does not charge again. */
      sourceSeconds: z.string().optional(),
    }),
  },
  ReservationRejected: {
    category: "account",
    schemaVersion: 1,
    data: z.object({ videoId, amountMicros: micros, reason: z.string(), ...totals }),
  },
  ReservationCaptured: {
    category: "account",
    schemaVersion: 1,
    data: z.object({
      videoId,
      quotedMicros: micros,
      amountMicros: micros,
      /** What the upstream's report priced above what was charged (the quote is the ceiling by default). */
      overageMicros: micros.optional(),
      ...spec,
      ...totals,
    }),
  },
  ReservationReleased: {
    category: "account",
    schemaVersion: 1,
    data: z.object({ videoId, amountMicros: micros, reason: z.string(), ...totals }),
  },
  // poller
  JobQueued: {
    category: "job",
    schemaVersion: 1,
    data: z.object({
      videoId,
      accountId: z.string(),
      ...spec,
      prompt: z.string(),
      remixedFromVideoId: z.string().nullable(),
      inputReference,
      ...videoOperation,
    }),
  },
  JobSubmitted: {
    category: "job",
    schemaVersion: 1,
    data: z.object({ videoId, channelId: z.string(), upstreamId: z.string(), submittedAt: z.number().int() }),
  },
  JobProgressed: {
    category: "job",
    schemaVersion: 1,
    data: z.object({ videoId, progress: z.number().int().min(0).max(100) }),
  },
  JobCompleted: {
    category: "job",
    schemaVersion: 1,
    data: completion,
  },
  JobFailed: {
    category: "job",
    schemaVersion: 1,
    data: z.object({ videoId, code: z.string(), message: z.string(), failedAt: z.number().int() }),
  },
  /**
   * A submit to a channel failed in a way another try may cure (timeout, 5xx, 429, or the poller lost a
   * chat stream it was following): the next try goes to the next eligible channel. Recorded so failover survives a crash.
   */
  SubmitAttemptFailed: {
    category: "job",
    schemaVersion: 1,
    data: z.object({
      videoId,
      channelId: z.string(),
      /** 1 for the first try. */
      attempt: z.number().int().positive(),
      /** The upstream's HTTP status; null for a timeout, a network failure or a lost stream. */
      status: z.number().int().nullable(),
      message: z.string(),
      /** The upstream's Retry-After, when it gave one. */
      retryAfterMs: z.number().int().nonnegative().nullable(),
      failedAt: z.number().int(),
    }),
  },
  /**
   * The poller is about to send the job upstream (written before the call): a poller that dies before
   * JobSubmitted finds it on recovery and reconciles with the upstream instead of starting a second job.
   */
  SubmitAttempted: {
    category: "job",
    schemaVersion: 1,
    data: z.object({
      videoId,
      channelId: z.string(),
      /** 1 for the first try: the try whose JobSubmitted or SubmitAttemptFailed settles it. */
      attempt: z.number().int().positive(),
      /** The Idempotency-Key sent upstream with this try (and with its resubmission after a crash). */
      idempotencyKey: z.string(),
      startedAt: z.number().int(),
    }),
  },
  /**
   * The upstream finished a job after the poller had failed it for its deadline: the video exists
   * after all. The reservation was already released (a failed job is never charged), so it is free.
   */
  JobCompletedLate: {
    category: "job",
    schemaVersion: 1,
    data: completion,
  },
  // storage
  MediaStored: {
    category: "asset",
    schemaVersion: 1,
    data: z.object({
      videoId,
      variant: z.enum(variants),
      key: z.string(),
      bytes: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      contentType: z.string(),
    }),
  },
  MediaDeleted: {
    category: "asset",
    schemaVersion: 1,
    data: z.object({ videoId, keys: z.array(z.string()), reason: z.string() }),
  },
  MediaStorageFailed: {
    category: "asset",
    schemaVersion: 1,
    data: z.object({
      videoId,
      variant: z.enum(variants),
      reason: z.string(),
      /** Where the media can still be had until the upstream link expires: ingress proxies it through the channel. */
      fallback: z
        .object({ channelId: z.string(), upstreamId: z.string(), expiresAt: z.number().int().nullable() })
        .nullable()
        .default(null),
    }),
  },
  /** Storage learnt the key of the video's input image (stored by ingress), so deleting the video removes it too. */
  InputImageNoted: {
    category: "asset",
    schemaVersion: 1,
    data: z.object({ videoId, accountId: z.string(), key: z.string() }),
  },
  // notifier (secrets are never in events: they travel on NATS; the notifier keeps them in its own store)
  WebhookEndpointCreated: {
    category: "webhook",
    schemaVersion: 1,
    data: z.object({
      endpointId: z.string(),
      accountId: z.string(),
      name: z.string(),
      url: z.string(),
      eventTypes: z.array(z.string()),
      secretHint: z.string(),
      createdAt: z.number().int(),
    }),
  },
  WebhookEndpointUpdated: {
    category: "webhook",
    schemaVersion: 1,
    data: z.object({
      endpointId: z.string(),
      name: z.string(),
      url: z.string(),
      eventTypes: z.array(z.string()),
      updatedAt: z.number().int(),
    }),
  },
  /** A new signing secret; the previous one still signs until `previousValidUntil` (unix seconds), or not at all (null). */
  WebhookSecretRotated: {
    category: "webhook",
    schemaVersion: 1,
    data: z.object({
      endpointId: z.string(),
      secretHint: z.string(),
      previousValidUntil: z.number().int().nullable(),
      rotatedAt: z.number().int(),
    }),
  },
  WebhookEndpointDeleted: {
    category: "webhook",
    schemaVersion: 1,
    data: z.object({ endpointId: z.string(), deletedAt: z.number().int() }),
  },
  /** A video's terminal outcome, to be delivered to one endpoint: `eventId` is the `evt_…` and the `webhook-id`. */
  WebhookDeliveryScheduled: {
    category: "delivery",
    schemaVersion: 1,
    data: z.object({
      eventId: z.string(),
      endpointId: z.string(),
      accountId: z.string(),
      eventType: z.string(),
      videoId,
      /** The event's `created_at` (unix seconds). */
      createdAt: z.number().int(),
      /** Milliseconds: the retry window (24 h) is counted from here. */
      scheduledAtMs: z.number().int(),
    }),
  },
  /** One POST to the receiver: delivered (2xx within the timeout), to be retried at `nextAttemptAtMs`, or given up. */
  WebhookDeliveryAttempted: {
    category: "delivery",
    schemaVersion: 1,
    data: z.object({
      eventId: z.string(),
      attempt: z.number().int().positive(),
      attemptedAtMs: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      outcome: z.enum(["delivered", "retry", "abandoned"]),
      nextAttemptAtMs: z.number().int().nullable(),
    }),
  },
} as const satisfies Record<string, { category: Category; schemaVersion: number; data: z.ZodType }>;

export type EventType = keyof typeof eventTypes;
export type EventData<T extends EventType> = z.infer<(typeof eventTypes)[T]["data"]>;
/** An event's data as a writer may give it: fields with defaults (added later to a schema) may be left out. */
export type EventInput<T extends EventType> = z.input<(typeof eventTypes)[T]["data"]>;

/** A domain event: its type name and its data, before it is wrapped in an envelope. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** An envelope whose type and data agree, so `switch (event.type)` narrows `event.data`. */
export type TypedEnvelope = { [T in EventType]: Envelope<EventData<T>> & { type: T } }[EventType];

export const isEventType = (type: string): type is EventType => Object.hasOwn(eventTypes, type);

export class InvalidEventError extends Error {
  override name = "InvalidEventError";
}

/** Validates an envelope from the wire: a known type, data that matches its schema. */
export const parseEvent = (envelope: Envelope): TypedEnvelope => {
  if (!isEventType(envelope.type)) throw new InvalidEventError(`unknown event type '${envelope.type}'`);
  const result = eventTypes[envelope.type].data.safeParse(envelope.data);
  if (!result.success) {
    throw new InvalidEventError(`${envelope.type} ${envelope.id}: ${z.prettifyError(result.error)}`);
  }
  return { ...envelope, data: result.data } as TypedEnvelope;
};
