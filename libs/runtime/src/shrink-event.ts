import type { DomainEvent } from "@reelgate/contracts";

/** Longest string an event keeps once it was refused as too large: an upstream message's cap. */
export const SHRUNK_STRING_CHARS = 4096;

const shrink = (value: unknown): unknown => {
  if (typeof value === "string")
    return value.length > SHRUNK_STRING_CHARS ? `${value.slice(0, SHRUNK_STRING_CHARS - 1)}…` : value;
  if (Array.isArray(value)) return value.map(shrink);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shrink(inner)]));
  return value;
};

/**
 * The event with every long string in its data cut to `SHRUNK_STRING_CHARS`: what gets recorded when the whole event
 * is too large for the bus. Its shape stays the same, so deciders and projections read it as they read any other.
 */
export const shrinkEvent = <Event extends DomainEvent>(event: Event): Event =>
  ({ ...event, data: shrink((event as { data?: unknown }).data) }) as Event;
