/**
 * The chat streams this process is reading now, by video, so a cancel can cut its own. Not a record
 * of work: a stream whose process dies is found again by the redelivery of its FundsReserved.
 */
export const liveStreams = () => {
  const streams = new Map<string, AbortController>();
  return {
    open(videoId: string) {
      const controller = new AbortController();
      streams.set(videoId, controller);
      return controller;
    },
    close(videoId: string, controller: AbortController) {
      if (streams.get(videoId) === controller) streams.delete(videoId);
      controller.abort();
    },
    has: (videoId: string) => streams.has(videoId),
    abort: (videoId: string) => streams.get(videoId)?.abort(),
  };
};

export type LiveStreams = ReturnType<typeof liveStreams>;
