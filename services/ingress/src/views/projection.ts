import { categoryOf, type TypedEnvelope } from "@reelgate/contracts";
import { RevisionConflict } from "@reelgate/documents";
import { applyToBalanceView } from "../domain/balance-view.ts";
import { historyVideoIdOf, toVideoEventView } from "../domain/video-history.ts";
import { applyToVideoView, videoIdOf } from "../domain/video-view.ts";
import type { Views } from "./views.ts";

export type ProjectionOutcome = "applied" | "unchanged";

/**
 * Applies one event of any category to ingress's read models. Commutative: any order, any delay and
 * any number of repeats give the same documents, so no event ever waits for another: one about a
 * video whose VideoRequested has not arrived starts its document, and the request fills in later.
 */
export const projectEvent = async (views: Views, event: TypedEnvelope): Promise<ProjectionOutcome> => {
  let outcome: ProjectionOutcome = "unchanged";
  const category = categoryOf(event.stream);
  // The video's history: one document per event, keyed by the event's id, so a redelivery writes nothing.
  const historyOf = historyVideoIdOf(event);
  if (historyOf) {
    // Insert-only, without reading first: a redelivery's insert conflicts and writes nothing.
    const recorded = await views.videoEvents.put(toVideoEventView(event, historyOf), null).then(
      () => true,
      (error: unknown) => {
        if (error instanceof RevisionConflict) return false;
        throw error;
      },
    );
    if (recorded) outcome = "applied";
  }
  if (category === "account") {
    let changed = false;
    await views.balances.update(event.accountId ?? "", (current) => {
      const next = applyToBalanceView(current, event);
      changed = next !== undefined;
      return next;
    });
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
  let changed = false;
  await views.videos.update(videoId, (current) => {
    const next = applyToVideoView(current, event);
    changed = next !== undefined;
    return next;
  });
  return changed ? "applied" : outcome;
};
