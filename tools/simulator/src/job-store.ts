import type { Job } from "./jobs.ts";

/** The simulator's jobs, in submission order; shared by every provider shape. */
export const createJobStore = () => {
  const jobs = new Map<string, Job>();
  /** Idempotency-Key → the job its first create made (and what was asked, to refuse a key reused for another request). */
  const keys = new Map<string, { jobId: string; fingerprint: string }>();
  return {
    add: (job: Job) => {
      jobs.set(job.id, job);
      return job;
    },
    get: (id: string) => jobs.get(id),
    list: (): Job[] => [...jobs.values()],
    clear: () => {
      jobs.clear();
      keys.clear();
    },
    /** The job a create with this Idempotency-Key made, if one did. */
    byKey: (key: string) => keys.get(key),
    rememberKey: (key: string, jobId: string, fingerprint: string) => keys.set(key, { jobId, fingerprint }),
  };
};

export type JobStore = ReturnType<typeof createJobStore>;
