/** A fault for job submissions: the next `count` submits (all, when absent) answer `status`. */
export interface SubmitFault {
  status: number;
  count?: number;
  body?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** What `POST /_control/faults` sets; each key given replaces the current one. */
export interface FaultSettings {
  submit?: SubmitFault;
  /** Delay before every upstream response. */
  latencyMs?: number;
  /** Duration of jobs submitted from now on. */
  jobDurationMs?: number;
  /** Total size of the video of jobs submitted from now on (padded MP4, streamed). */
  videoBytes?: number;
  /** The next `n` video downloads break off halfway (the connection is cut after half the bytes). */
  brokenDownloads?: number;
}

/** The faults in force, consumed by the provider routes as requests arrive. */
export const createFaults = (defaults: { jobDurationMs: number; videoBytes?: number | undefined }) => {
  let settings: FaultSettings = {};
  return {
    set: (changes: FaultSettings) => {
      settings = { ...settings, ...changes, ...(changes.submit ? { submit: { ...changes.submit } } : {}) };
      return settings;
    },
    reset: () => {
      settings = {};
      return settings;
    },
    current: (): FaultSettings => settings,
    /** The submit fault for this request, if any, counting it down. */
    takeSubmitFault: (): SubmitFault | undefined => {
      const fault = settings.submit;
      if (!fault) return undefined;
      if (fault.count !== undefined) {
        fault.count -= 1;
        if (fault.count <= 0) {
          const { submit: _spent, ...rest } = settings;
          settings = rest;
        }
      }
      return fault;
    },
    /** Whether this video download breaks off halfway, counting it down. */
    takeBrokenDownload: (): boolean => {
      const left = settings.brokenDownloads ?? 0;
      if (left <= 0) return false;
      settings = { ...settings, brokenDownloads: left - 1 };
      return true;
    },
    latencyMs: () => settings.latencyMs ?? 0,
    jobDurationMs: () => settings.jobDurationMs ?? defaults.jobDurationMs,
    videoBytes: () => settings.videoBytes ?? defaults.videoBytes,
  };
};

export type Faults = ReturnType<typeof createFaults>;
