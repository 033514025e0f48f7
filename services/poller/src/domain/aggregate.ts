import type { Aggregate } from "@reelgate/runtime";
import { decideJob, type JobCommand } from "./decide.ts";
import { evolveJob, initialJob, type JobEvent, type JobState } from "./job.ts";

export const jobAggregate: Aggregate<JobState, JobCommand, JobEvent> = {
  initialState: initialJob,
  evolve: evolveJob,
  decide: decideJob,
};
