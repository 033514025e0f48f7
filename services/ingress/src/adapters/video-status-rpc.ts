import { videoStatusRpc } from "@reelgate/contracts";
import { statusOf } from "../views/video-object.ts";
import { isRequested } from "../views/video-view.ts";
import type { Views } from "../views/views.ts";

/**
 * Ingress's own RPC command, `videoStatus`: what `GET /v1/videos/{id}` answers now (null: no such video
 * yet). The notifier asks before it sends a video's webhook event, so the event never arrives before the
 * GET says the same.
 */
export const videoStatusCommand = (views: Views) => ({
  videoStatus: async (request: unknown) => {
    const { videoId } = videoStatusRpc.parse(request);
    // A video whose request has not reached the read model yet is unknown to its GET too.
    const doc = (await views.videos.get(videoId))?.doc;
    return { ok: true, status: doc && isRequested(doc) ? statusOf(doc).status : null };
  },
});
