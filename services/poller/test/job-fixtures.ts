import { deciderSpec } from "@reelgate/testkit";
import { jobAggregate } from "../src/domain/aggregate.ts";
import type { JobEvent } from "../src/domain/job.ts";

/** Given/when/then over the job's rules, and the request most specs start from. */
export const spec = deciderSpec(jobAggregate);
export const request = {
  videoId: "video_1",
  accountId: "acct_1",
  model: "sora-2",
  seconds: "8",
  size: "720x1280",
  prompt: "p",
  remixedFromVideoId: null,
  inputReference: null,
  operation: "create" as const,
  sourceVideoId: null,
  sourceUpload: null,
  sourceSeconds: null,
};
export const queued: JobEvent = { type: "JobQueued", data: request };
