import type { EventStore } from "@reelgate/event-store";
import type { ObjectStorage } from "@reelgate/object-storage";
import type { Channel, Provider } from "@reelgate/upstream";
import type { ChannelCoolDowns } from "../adapters/channel-cooldowns.ts";
import type { ChannelSlots } from "../adapters/channel-slots.ts";
import type { FollowClaims } from "../adapters/follow-claims.ts";

export interface JobsDeps {
  store: EventStore;
  /** Where ingress stored the input images. */
  objects: ObjectStorage;
  /** The channels in force now (the file is re-read when it changes). */
  channels: () => Channel[];
  providerFor: (channel: Channel) => Provider;
  slots: ChannelSlots;
  coolDowns: Pick<ChannelCoolDowns, "until" | "hold">;
  /** One poll chain per submitted job, whatever copies of its JobSubmitted exist. */
  follows: FollowClaims;
  now: () => number;
  random: () => number;
  /** A job with no end this long after it was funded is failed (`timeout`) and released. */
  deadlineMs: number;
  /** How long after that we still ask the upstream, to record a completion that comes late. */
  lateWindowMs: number;
  /** Submit tries in all (across channels) before the job is failed. */
  maxSubmitAttempts: number;
  onAppended: () => void;
  /** How long a FundsReserved ahead of its VideoRequested waits in its handler for the job to be queued (2 s). */
  requestWaitMs?: number;
  /** Test seam: called at named points of a submit, where a crash test kills the process. */
  crashPoint?: ((point: "submit-accepted") => void) | undefined;
}
