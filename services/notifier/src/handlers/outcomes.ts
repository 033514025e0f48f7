import { derivedId, type TypedEnvelope } from "@reelgate/contracts";
import type { HandlerContext, HandlerResult } from "@reelgate/messaging";
import type { PublicStatus } from "../adapters/ingress-status.ts";
import { applyToOutcome, canChangeOutcome, terminalEventOf, type VideoOutcome } from "../domain/video-outcome.ts";
import type { WebhookDeliveries } from "./deliveries.ts";
import type { WebhookEndpoints } from "./endpoints.ts";
import type { NotifierStores } from "./stores.ts";

/** The event's id for one video, type and endpoint: the same on every redelivery, so it is scheduled once. */
export const webhookEventId = (endpointId: string, videoId: string, eventType: string) =>
  derivedId("webhook-event", endpointId, videoId, eventType);

/**
 * Follows each video to its terminal outcome (the events its public status is made of) and, once the
 * video's GET answers completed or failed, schedules the event for every endpoint of the account that
 * takes it. A crash between scheduling and noting it schedules again, which appends nothing new.
 * Ingress is asked first, so the event never arrives before the GET answers the same.
 */
export const videoOutcomes = ({
  stores,
  endpoints,
  deliveries,
  publicStatus,
  now,
}: {
  stores: NotifierStores;
  endpoints: WebhookEndpoints;
  deliveries: WebhookDeliveries;
  publicStatus: PublicStatus;
  now: () => Date;
}) => {
  const announce = async (view: VideoOutcome, deliveryCount: number): Promise<HandlerResult> => {
    const eventType = terminalEventOf(view);
    if (!eventType || !view.accountId || view.announced.includes(eventType)) return undefined;
    const accountId = view.accountId;
    // No endpoint takes it: nothing to send, so nothing to wait for, and ingress is not asked (most accounts
    // have no webhooks). Nothing is noted either: announcing to no endpoint is no change.
    const subscribed = await endpoints.subscribed(accountId, eventType);
    if (subscribed.length === 0) return undefined;
    // The events say it is over; ingress's read model may not yet. Sent only once the GET says so too.
    const answered = await publicStatus(view.id);
    if (answered !== (eventType === "video.completed" ? "completed" : "failed"))
      return { retryInMs: Math.min(5_000, 50 * deliveryCount) };
    const nowMs = now().getTime();
    // Endpoints are independent streams: scheduled side by side, so a wide fan-out does not queue.
    await Promise.all(
      subscribed.map((endpoint) =>
        deliveries.schedule({
          eventId: webhookEventId(endpoint.id, view.id, eventType),
          endpointId: endpoint.id,
          accountId,
          eventType,
          videoId: view.id,
          createdAt: Math.floor(nowMs / 1000),
          scheduledAtMs: nowMs,
        }),
      ),
    );
    await stores.outcomes.update(view.id, (current) =>
      current && !current.announced.includes(eventType)
        ? { ...current, announced: [...current.announced, eventType] }
        : undefined,
    );
    return undefined;
  };

  return async (event: TypedEnvelope, ctx: Pick<HandlerContext, "deliveryCount">): Promise<HandlerResult> => {
    const videoId = (event.data as { videoId?: string }).videoId;
    // A thumbnail's or spritesheet's MediaStored changes no outcome: no read, no write.
    if (!videoId || !canChangeOutcome(event)) return undefined;
    const view = await stores.outcomes.update(videoId, (current) => applyToOutcome(current, event));
    return view ? announce(view, ctx.deliveryCount) : undefined;
  };
};
