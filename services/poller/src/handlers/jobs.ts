import { eventTypes, type TypedEnvelope } from "@reelgate/contracts";
import { cancelJobs } from "./cancel.ts";
import type { JobsDeps } from "./deps.ts";
import { followJobs } from "./follow.ts";
import { jobRecords } from "./job-records.ts";
import { liveStreams } from "./live-streams.ts";
import { requestArrivals } from "./request-arrivals.ts";
import { submitJobs } from "./submit.ts";

export type { JobsDeps } from "./deps.ts";

/** The poller's use cases: take a job in, submit it once funded, follow it to its end, cancel it. */
export const jobs = (deps: JobsDeps) => {
  const records = jobRecords(deps);
  const streams = liveStreams();
  const requests = requestArrivals();
  return {
    records,
    async onVideoRequested(event: TypedEnvelope & { type: "VideoRequested" }) {
      // JobQueued's own schema picks its fields out of the request (the quote and creation time stay behind) and
      // gives the operation fields their defaults where the request carries none (events recorded before them).
      const request = eventTypes.JobQueued.data.parse(event.data);
      await records.execute(request.videoId, { type: "QueueJob", request }, event, "queue");
      requests.arrived(request.videoId);
    },
    onFundsReserved: submitJobs(deps, records, streams, requests),
    onJobSubmitted: followJobs(deps, records),
    onVideoDeleted: cancelJobs(deps, records, streams),
    /** Whether a video's job no longer needs the slot it holds on a channel (it ended, or runs elsewhere). */
    async holdsNoSlot(videoId: string, channelId: string) {
      const state = await records.load(videoId);
      return (
        state.outcome !== undefined || (state.submission !== undefined && state.submission.channelId !== channelId)
      );
    },
  };
};
