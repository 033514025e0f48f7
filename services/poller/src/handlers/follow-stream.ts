import type { TypedEnvelope } from "@reelgate/contracts";
import { type HandlerContext, whileWorking } from "@reelgate/messaging";
import type { JobReport } from "@reelgate/upstream";
import { gaveUpOnTime } from "../domain/job.ts";
import type { JobRecords } from "./job-records.ts";

const KEEP_ALIVE_MS = 5_000;

/**
 * Reads a chat stream to its end inside the submit handler, recording progress and the end as
 * they come. The FundsReserved message stays unacked meanwhile (kept alive with `working()`), so
 * if this process dies the message comes back and the submit handler knows the stream was lost.
 */
export const followStream = async ({
  records,
  videoId,
  updates,
  cause,
  ctx,
  attempt,
  now,
}: {
  records: JobRecords;
  videoId: string;
  updates: AsyncIterable<JobReport>;
  cause: TypedEnvelope;
  ctx: Pick<HandlerContext, "working">;
  attempt: number;
  now: () => number;
}) => {
  await whileWorking(ctx.working, KEEP_ALIVE_MS, async () => {
    for await (const report of updates) {
      ctx.working();
      const before = await records.load(videoId);
      const terminal = report.status === "completed" || report.status === "failed";
      const purpose = before.outcome ? "late" : terminal ? "end" : `progress-${attempt}-${report.progress}`;
      const { state } = await records.execute(
        videoId,
        { type: "RecordReport", report, now: Math.floor(now() / 1000) },
        cause,
        purpose,
      );
      if (terminal) return;
      // Ended meanwhile (cancelled): stop reading. Timed out: read on, the video may still come.
      if (state.outcome && !gaveUpOnTime(state)) return;
    }
  });
};
