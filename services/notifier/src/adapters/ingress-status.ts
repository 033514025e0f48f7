import type { NatsConnection } from "@nats-io/transport-node";
import { type NatsNames, type VideoStatus, videoStatusReplySchema } from "@reelgate/contracts";
import { requestRpc } from "@reelgate/messaging";

/** What the video's GET answers now, asked of ingress (null: ingress has not seen the video yet). */
export type PublicStatus = (videoId: string) => Promise<VideoStatus | null>;

export const ingressPublicStatus =
  (nc: NatsConnection, names: NatsNames): PublicStatus =>
  async (videoId) => {
    const reply = await requestRpc(nc, names.rpcSubject("ingress", "videoStatus"), { videoId }, 5_000);
    return videoStatusReplySchema.parse(reply).status;
  };
