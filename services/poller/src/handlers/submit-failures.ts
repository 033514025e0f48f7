import type { TypedEnvelope } from "@reelgate/contracts";
import { retryAfter as after, type HandlerContext, type HandlerResult } from "@reelgate/messaging";
import type { Channel, UpstreamError } from "@reelgate/upstream";
import { requestIsWrong } from "../domain/failover.ts";
import type { JobsDeps } from "./deps.ts";
import type { JobRecords } from "./job-records.ts";

/** How one job's failed submit tries go on record, so the next try (or the job's end) follows from the log. */
export const submitFailures = (
  deps: JobsDeps,
  records: JobRecords,
  // The context, not its `log`: reading `log` makes the message's child logger (pino redacts its bindings), wanted only on a warning.
  { videoId, event, ctx }: { videoId: string; event: TypedEnvelope; ctx: Pick<HandlerContext, "log"> },
) => {
  const seconds = () => Math.floor(deps.now() / 1000);

  /**
   * A try that will never get its answer (or whose reader died), recorded as failed so the next one can go. A lost
   * chat stream's try names its submission (`upstreamId`): that is the one it ends.
   */
  const recordLostTry = (channelId: string, message: string, tried: number, upstreamId?: string) =>
    records.execute(
      videoId,
      {
        type: "RecordAttemptFailure",
        channelId,
        status: null,
        message,
        retryAfterMs: null,
        maxAttempts: deps.maxSubmitAttempts,
        now: seconds(),
        ...(upstreamId === undefined ? {} : { upstreamId }),
      },
      event,
      `attempt-${tried}`,
    );

  /** The upstream refused a try: the job fails if the request itself is wrong, else the next try is planned. */
  const submitFailed = async (error: UpstreamError, failed: Channel, tried: number): Promise<HandlerResult> => {
    if (requestIsWrong(error.status)) {
      // The request itself is wrong: another channel would say the same. The client gets the upstream's words.
      await records.fail(
        videoId,
        event,
        error.upstreamCode ?? "upstream_rejected",
        error.upstreamMessage ?? error.message,
        { unlessSubmitted: true },
      );
      return undefined;
    }
    if (error.retryAfterMs !== undefined) await deps.coolDowns.hold(failed.id, deps.now() + error.retryAfterMs);
    ctx.log.warn({ channel: failed.id, attempt: tried, err: error.message }, "submit failed; trying the next channel");
    await records.execute(
      videoId,
      {
        type: "RecordAttemptFailure",
        channelId: failed.id,
        status: error.status ?? null,
        message: error.upstreamMessage ?? error.message,
        retryAfterMs: error.retryAfterMs === undefined ? null : Math.round(error.retryAfterMs),
        maxAttempts: deps.maxSubmitAttempts,
        now: seconds(),
      },
      event,
      `attempt-${tried}`,
    );
    // Delivered again at once: the next plan picks the next channel, or says how long to wait.
    return after(0);
  };

  return { recordLostTry, submitFailed };
};
