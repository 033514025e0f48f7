import { categoryOf, type Envelope } from "@reelgate/contracts";

/** One event about a video, from any of the four services, as the admin history and channel list read it. */
export interface VideoEventView {
  /** The event's id. */
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

/**
 * The history's document of one event: keyed `{videoId}:{eventId}` (see `historyRowId`), so a video's history is a
 * range of the primary key (no index by video to write) and a redelivered event lands on the same document.
 * Everything else is the view's (the video id is the key's, not written twice).
 */
export type VideoEventRow = Omit<VideoEventView, "videoId">;

/** Video ids (`video_…`, ours) never hold the separator, so the key splits at its first one. */
const separator = ":";

export const historyRowId = (videoId: string, eventId: string) => `${videoId}${separator}${eventId}`;

/** The key range of one video's history: `find({ idPrefix })`. */
export const historyPrefixOf = (videoId: string) => `${videoId}${separator}`;

/** The video an event belongs to in the history: every service correlates a video's events by its id. */
export const historyVideoIdOf = (event: Envelope): string | undefined =>
  event.correlationId.startsWith("video_") && !event.correlationId.includes(separator)
    ? event.correlationId
    : undefined;

export const toVideoEventRow = (event: Envelope, videoId: string): VideoEventRow => ({
  id: historyRowId(videoId, event.id),
  type: event.type,
  stream: event.stream,
  version: event.version,
  occurredAt: event.occurredAt,
  occurredAtMs: Date.parse(event.occurredAt),
  causationId: event.causationId,
  data: event.data,
});

export const fromVideoEventRow = (row: VideoEventRow): VideoEventView => {
  const at = row.id.indexOf(separator);
  return { ...row, id: row.id.slice(at + 1), videoId: row.id.slice(0, at) };
};

/** The view of one event, as the history gives it back. */
export const toVideoEventView = (event: Envelope, videoId: string): VideoEventView =>
  fromVideoEventRow(toVideoEventRow(event, videoId));

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
