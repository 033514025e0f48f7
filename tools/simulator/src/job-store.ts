import type { Job } from "./jobs.ts";

/** The simulator's jobs, in submission order; shared by every provider shape. */
export const createJobStore = () => {
  const jobs = new Map<string, Job>();
  return {
    add: (job: Job) => {
      jobs.set(job.id, job);
      return job;
    },
    get: (id: string) => jobs.get(id),
    list: (): Job[] => [...jobs.values()],
    clear: () => jobs.clear(),
  };
};

export type JobStore = ReturnType<typeof createJobStore>;
