import { categoryOf, type TypedEnvelope } from "@reelgate/contracts";
import { applyToBalanceView } from "../domain/balance-view.ts";
import { historyVideoIdOf, toVideoEventView } from "../domain/video-history.ts";
import { applyToVideoView } from "../domain/video-view.ts";
import type { Views } from "./views.ts";

/** The video an event is about, if any: billing events name it in their data, the rest in their stream. */
const videoIdOf = (event: TypedEnvelope): string | undefined => {
  const data = event.data as { videoId?: unknown };
  return typeof data.videoId === "string" ? data.videoId : undefined;
};

export type ProjectionOutcome = "applied" | "unchanged" | "waiting-for-request";

/**
 * Applies one event of any category to ingress's read models. Commutative: any order and any
 * number of repeats give the same documents. "waiting-for-request" means the video's
 * VideoRequested has not been projected yet; the caller retries later.
 */
export const projectEvent = async (views: Views, event: TypedEnvelope): Promise<ProjectionOutcome> => {
  let outcome: ProjectionOutcome = "unchanged";
  const category = categoryOf(event.stream);
  // The video's history: one document per event, keyed by the event's id, so a redelivery writes nothing.
  const historyOf = historyVideoIdOf(event);
  if (historyOf) {
    let recorded = false;
    await views.videoEvents.update(event.id, (current) => {
      recorded = !current;
      return current ? undefined : toVideoEventView(event, historyOf);
    });
    if (recorded) outcome = "applied";
  }
  if (category === "account") {
    const changed = await views.balances.update(event.accountId ?? "", (current) => applyToBalanceView(current, event));
    if (changed) outcome = "applied";
  }
  if (category === "apikey") {
    if (event.type === "ApiKeyIssued") {
      const { keyId, accountId, name, sha256 } = event.data;
      await views.keys.update(keyId, (current) => current ?? { id: keyId, accountId, name, sha256, revoked: false });
    } else if (event.type === "ApiKeyRevoked") {
      await views.keys.update(event.data.keyId, (current) =>
        current && !current.revoked ? { ...current, revoked: true } : undefined,
      );
    }
    return "applied";
  }
  const videoId = videoIdOf(event);
  if (!videoId) return outcome;
  let waiting = false;
  const updated = await views.videos.update(videoId, (current) => {
    waiting = !current && event.type !== "VideoRequested";
    return applyToVideoView(current, event);
  });
  if (waiting) return "waiting-for-request";
  return updated ? "applied" : outcome;
};
