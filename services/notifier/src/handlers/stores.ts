import type { Collection, DocumentStore } from "@reelgate/documents";
import type { SigningSecrets } from "../adapters/sign.ts";
import type { Attempt } from "../domain/delivery.ts";
import type { VideoOutcome } from "../domain/video-outcome.ts";

/** An endpoint as the API reads it (a view of its `webhook-*` stream, written after each change). */
export interface EndpointDoc {
  id: string;
  accountId: string;
  name: string;
  url: string;
  eventTypes: string[];
  secretHint: string | null;
  createdAt: number;
  updatedAt: number;
  deleted: boolean;
  /** The stream version it was written from: an older write never replaces a newer one. */
  v: number;
}

/** A delivery as the admin history reads it (a view of its `delivery-*` stream). */
export interface DeliveryDoc {
  id: string;
  endpointId: string;
  eventType: string;
  videoId: string;
  status: "pending" | "delivered" | "abandoned";
  scheduledAtMs: number;
  nextAttemptAtMs: number | null;
  attempts: Attempt[];
  v: number;
}

export interface NotifierStores {
  endpoints: Collection<EndpointDoc>;
  /** Kept here only: never in events (they travel on NATS) and never shown again after create or rotation. */
  secrets: Collection<SigningSecrets>;
  deliveries: Collection<DeliveryDoc>;
  outcomes: Collection<VideoOutcome>;
}

export const openNotifierStores = async (documents: DocumentStore): Promise<NotifierStores> => ({
  endpoints: await documents.collection<EndpointDoc>("webhook_endpoints", {
    indexes: ["accountId", "deleted", "createdAt"],
    compound: [["accountId", "deleted", "createdAt"]],
  }),
  secrets: await documents.collection<SigningSecrets>("webhook_secrets", { indexes: [] }),
  deliveries: await documents.collection<DeliveryDoc>("webhook_deliveries", {
    indexes: ["endpointId", "scheduledAtMs"],
    compound: [["endpointId", "scheduledAtMs"]],
  }),
  outcomes: await documents.collection<VideoOutcome>("video_outcomes", { indexes: [] }),
});
