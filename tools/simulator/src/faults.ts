/** A fault for job submissions: the next `count` submits (all, when absent) answer `status`. */
export interface SubmitFault {
  status: number;
  count?: number;
  body?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

/** A fault for status polls (`GET /videos/{id}`): the next `count` polls (all, when absent) answer `status`. */
export type StatusFault = SubmitFault;

/** What `POST /_control/faults` sets; each key given replaces the current one. */
export interface FaultSettings {
  submit?: SubmitFault;
  status?: StatusFault;
  /** The next `n` submits (videos or chat) never answer in time: they hang for `hangMs` (default 60 s). */
  hangingSubmits?: number;
  hangMs?: number;
  /** Delay before every upstream response. */
  latencyMs?: number;
  /** Duration of jobs submitted from now on. */
  jobDurationMs?: number;
  /** Total size of the video of jobs submitted from now on (padded MP4, streamed). */
  videoBytes?: number;
  /** The next `n` video downloads break off halfway (the connection is cut after half the bytes). */
  brokenDownloads?: number;
  /** The next `n` chat streams break off halfway, after a moderation notice and before any video link. */
  brokenStreams?: number;
  /** How long the media links the task shapes hand out stay valid (default 24 h); past it they answer 403. */
  linkTtlMs?: number;
  /** A hostile upstream: chat streams end with a link to this URL instead of the simulator's own file. */
  mediaLinkUrl?: string;
  /** A hostile upstream: video downloads answer `302` to this URL. */
  contentRedirectUrl?: string;
  /** The next `n` jobs submitted fail with an error message of `oversizedErrorBytes` (default 3 MiB). */
  oversizedErrors?: number;
  oversizedErrorBytes?: number;
  /** The next `n` submits answer 401 with a message that echoes the API key they presented. */
  echoKeyErrors?: number;
}

const countDown = <K extends "submit" | "status">(settings: FaultSettings, key: K) => {
  const fault = settings[key];
  if (!fault) return { fault: undefined, settings };
  if (fault.count === undefined) return { fault, settings };
  const left = fault.count - 1;
  if (left > 0) return { fault, settings: { ...settings, [key]: { ...fault, count: left } } };
  const { [key]: _spent, ...rest } = settings;
  return { fault, settings: rest as FaultSettings };
};

/** The faults in force on one channel, consumed by the provider routes as requests arrive. */
export const createFaults = (defaults: { jobDurationMs: number; videoBytes?: number | undefined }) => {
  let settings: FaultSettings = {};
  const takeCount = (
    key: "brokenDownloads" | "brokenStreams" | "hangingSubmits" | "oversizedErrors" | "echoKeyErrors",
  ): boolean => {
    const left = settings[key] ?? 0;
    if (left <= 0) return false;
    settings = { ...settings, [key]: left - 1 };
    return true;
  };
  return {
    set: (changes: FaultSettings) => {
      settings = {
        ...settings,
        ...changes,
        ...(changes.submit ? { submit: { ...changes.submit } } : {}),
        ...(changes.status ? { status: { ...changes.status } } : {}),
      };
      return settings;
    },
    reset: () => {
      settings = {};
      return settings;
    },
    current: (): FaultSettings => settings,
    /** The submit fault for this request, if any, counting it down. */
    takeSubmitFault: (): SubmitFault | undefined => {
      const taken = countDown(settings, "submit");
      settings = taken.settings;
      return taken.fault;
    },
    /** The status-poll fault for this request, if any, counting it down. */
    takeStatusFault: (): StatusFault | undefined => {
      const taken = countDown(settings, "status");
      settings = taken.settings;
      return taken.fault;
    },
    /** Whether this video download breaks off halfway, counting it down. */
    takeBrokenDownload: () => takeCount("brokenDownloads"),
    /** Whether this chat stream breaks off before its link, counting it down. */
    takeBrokenStream: () => takeCount("brokenStreams"),
    /** How long this submit hangs before answering, or 0, counting it down. */
    takeHang: () => (takeCount("hangingSubmits") ? (settings.hangMs ?? 60_000) : 0),
    /** The error message of a job that fails with an oversized one, counting it down; undefined for a normal job. */
    takeOversizedError: () =>
      takeCount("oversizedErrors") ? "x".repeat(settings.oversizedErrorBytes ?? 3 * 1024 * 1024) : undefined,
    /** Whether this submit answers 401 echoing its key, counting it down. */
    takeEchoKey: () => takeCount("echoKeyErrors"),
    mediaLinkUrl: () => settings.mediaLinkUrl,
    contentRedirectUrl: () => settings.contentRedirectUrl,
    latencyMs: () => settings.latencyMs ?? 0,
    jobDurationMs: () => settings.jobDurationMs ?? defaults.jobDurationMs,
    videoBytes: () => settings.videoBytes ?? defaults.videoBytes,
    linkTtlMs: () => settings.linkTtlMs ?? 86_400_000,
  };
};

export type Faults = ReturnType<typeof createFaults>;
