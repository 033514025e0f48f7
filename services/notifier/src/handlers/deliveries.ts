import { derivedId, streamId, type TypedEnvelope } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import type { HandlerResult } from "@reelgate/messaging";
import { aggregateRepository } from "@reelgate/runtime";
import type { PostWebhook } from "../adapters/outbound.ts";
import { activeSecrets, signedHeaders } from "../adapters/sign.ts";
import {
  type DeliveryCommand,
  type DeliveryEvent,
  type DeliveryState,
  decideDelivery,
  evolveDelivery,
  initialDelivery,
} from "../domain/delivery.ts";
import type { DeliveryDoc, NotifierStores } from "./stores.ts";

type Scheduled = TypedEnvelope & { type: "WebhookDeliveryScheduled" };

/** The body OpenAI sends: the event, naming the video (SPEC §1.5). */
export const eventBody = (eventId: string, eventType: string, createdAt: number, videoId: string) =>
  JSON.stringify({ id: eventId, object: "event", type: eventType, created_at: createdAt, data: { id: videoId } });

/**
 * Deliveries: each is its own stream `delivery-{eventId}`. Its WebhookDeliveryScheduled message is the
 * delivery's timer on JetStream: handled, it makes the attempt that is due and is nak'd with the
 * delay to the next one, so a restart of the notifier (or of NATS) loses none.
 */
export const webhookDeliveries = ({
  store,
  stores,
  post,
  schedule,
  now,
  onAppended,
}: {
  store: EventStore;
  stores: NotifierStores;
  post: PostWebhook;
  schedule: number[];
  now: () => Date;
  onAppended: () => void;
}) => {
  const repository = aggregateRepository<DeliveryState, DeliveryCommand, DeliveryEvent>(store, {
    initialState: initialDelivery,
    evolve: evolveDelivery,
    decide: decideDelivery,
  });

  const project = async (eventId: string, state: DeliveryState, v: number) => {
    const scheduled = state.scheduled!;
    const doc: DeliveryDoc = {
      id: eventId,
      endpointId: scheduled.endpointId,
      eventType: scheduled.eventType,
      videoId: scheduled.videoId,
      status: state.status,
      scheduledAtMs: scheduled.scheduledAtMs,
      nextAttemptAtMs: state.nextAttemptAtMs,
      attempts: state.attempts,
      v,
    };
    await stores.deliveries.update(eventId, (current) => (current && current.v >= v ? undefined : doc));
  };

  const execute = async (eventId: string, accountId: string, command: DeliveryCommand, commitId: string) => {
    const decision = await repository.execute(streamId("delivery", eventId), command, {
      commitId,
      correlationId: eventId,
      causationId: null,
      accountId,
      now: now(),
    });
    if (decision.events.length > 0) onAppended();
    if (decision.state.scheduled) await project(eventId, decision.state, decision.version);
    return decision;
  };

  return {
    /** Idempotent: the same event for the same endpoint is scheduled once. */
    async schedule(data: Extract<DeliveryCommand, { type: "ScheduleDelivery" }>["data"]) {
      await execute(
        data.eventId,
        data.accountId,
        { type: "ScheduleDelivery", data },
        derivedId("delivery", data.eventId),
      );
    },

    /** Handles a delivery's message: the attempt due now, or the wait until it is. */
    async attempt(event: Scheduled): Promise<HandlerResult> {
      const { eventId, endpointId, accountId } = event.data;
      const { state } = await repository.load(streamId("delivery", eventId));
      if (!state.scheduled || state.status !== "pending") return undefined;
      const dueInMs = (state.nextAttemptAtMs ?? 0) - now().getTime();
      if (dueInMs > 0) return { retryInMs: dueInMs };
      const attempt = state.attempts.length + 1;
      const commitId = derivedId("delivery-attempt", eventId, String(attempt));

      const endpoint = await stores.endpoints.get(endpointId);
      const secrets = await stores.secrets.get(endpointId);
      if (!endpoint || endpoint.doc.deleted || !secrets) {
        const reason = "the endpoint was deleted";
        await execute(eventId, accountId, { type: "Abandon", reason, nowMs: now().getTime() }, commitId);
        return undefined;
      }
      const body = eventBody(eventId, state.scheduled.eventType, state.scheduled.createdAt, state.scheduled.videoId);
      const signedAt = now();
      const headers = signedHeaders(
        eventId,
        body,
        activeSecrets(secrets.doc, Math.floor(signedAt.getTime() / 1000)),
        signedAt,
      );
      const result = await post(endpoint.doc.url, { headers, body });
      const decision = await execute(
        eventId,
        accountId,
        { type: "RecordAttempt", result, nowMs: now().getTime(), schedule },
        commitId,
      );
      const next = decision.state.nextAttemptAtMs;
      if (decision.state.status !== "pending" || next === null) return undefined;
      return { retryInMs: Math.max(1, next - now().getTime()) };
    },

    /** The admin history of an endpoint: newest deliveries first, each with every attempt. */
    async history(endpointId: string, limit: number) {
      return stores.deliveries.find({
        where: { endpointId },
        orderBy: { field: "scheduledAtMs", direction: "desc" },
        limit,
      });
    },
  };
};

export type WebhookDeliveries = ReturnType<typeof webhookDeliveries>;
