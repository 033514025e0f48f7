import { categoryOf, type Envelope } from "@reelgate/contracts";

/** One event about a video, from any of the four services, as ingress's projection recorded it. */
export interface VideoEventView {
  /** The event's id: a redelivered event lands on the same document. */
  id: string;
  videoId: string;
  type: string;
  stream: string;
  version: number;
  occurredAt: string;
  occurredAtMs: number;
  /** The event this one reacts to, if any: it keeps cause before effect when two share a millisecond. */
  causationId: string | null;
  data: unknown;
}

/** The video an event belongs to in the history: every service correlates a video's events by its id. */
export const historyVideoIdOf = (event: Envelope): string | undefined =>
  event.correlationId.startsWith("video_") ? event.correlationId : undefined;

export const toVideoEventView = (event: Envelope, videoId: string): VideoEventView => ({
  id: event.id,
  videoId,
  type: event.type,
  stream: event.stream,
  version: event.version,
  occurredAt: event.occurredAt,
  occurredAtMs: Date.parse(event.occurredAt),
  causationId: event.causationId,
  data: event.data,
});

/** Ties in time (same millisecond) are broken the way the work flows: request, billing, job, media. */
const flowRank: Record<string, number> = { task: 0, account: 1, job: 2, asset: 3, apikey: 4 };
const rankOf = (stream: string) => {
  try {
    return flowRank[categoryOf(stream)] ?? 9;
  } catch {
    return 9;
  }
};

/** Oldest first by occurrence time; within one stream always by version. */
export const compareHistory = (a: VideoEventView, b: VideoEventView) =>
  a.occurredAtMs - b.occurredAtMs ||
  (a.stream === b.stream ? a.version - b.version : rankOf(a.stream) - rankOf(b.stream)) ||
  a.id.localeCompare(b.id);

/**
 * The history in order: by `compareHistory`, except that an event never comes before the event
 * it reacts to (clocks of different processes may disagree by a millisecond or two).
 */
export const orderHistory = (events: VideoEventView[]): VideoEventView[] => {
  const sorted = [...events].sort(compareHistory);
  const ids = new Set(sorted.map((event) => event.id));
  const emitted = new Set<string>();
  const waiting = new Map<string, VideoEventView[]>();
  const ordered: VideoEventView[] = [];
  const emit = (event: VideoEventView) => {
    ordered.push(event);
    emitted.add(event.id);
    for (const effect of waiting.get(event.id) ?? []) emit(effect);
    waiting.delete(event.id);
  };
  for (const event of sorted) {
    const cause = event.causationId;
    if (cause && ids.has(cause) && !emitted.has(cause)) waiting.set(cause, [...(waiting.get(cause) ?? []), event]);
    else emit(event);
  }
  // A cycle cannot happen between real events; should one appear, its events still show, in time order.
  for (const effects of waiting.values()) for (const effect of effects) if (!emitted.has(effect.id)) emit(effect);
  return ordered;
};

export const historyItem = (event: VideoEventView) => ({
  id: event.id,
  type: event.type,
  stream: event.stream,
  version: event.version,
  occurred_at: event.occurredAt,
  data: event.data,
});
