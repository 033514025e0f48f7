import { type DomainEvent, derivedId, eventTypes, type NewEvent } from "@reelgate/contracts";

export interface EventMeta {
  /** Names the decision; event ids are derived from it so a repeated decision yields the same ids. */
  commitId: string;
  correlationId: string;
  causationId: string | null;
  accountId: string | null;
  now: Date;
}

/** Wraps a decider's events for the store. */
export const toNewEvents = (events: DomainEvent[], meta: EventMeta): NewEvent[] => {
  // One decision, one time: formatted once for all its events.
  const occurredAt = meta.now.toISOString();
  return events.map((event, index) => ({
    id: derivedId(meta.commitId, String(index)),
    type: event.type,
    schemaVersion: eventTypes[event.type].schemaVersion,
    occurredAt,
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    accountId: meta.accountId,
    data: event.data,
  }));
};
