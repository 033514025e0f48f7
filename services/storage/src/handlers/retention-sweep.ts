import type { EventStore } from "@reelgate/event-store";
import type { Logger } from "@reelgate/service-kit";
import { applyToRetentionIndex, dueForDeletion, type RetentionIndex, sweepIntervalMs } from "../domain/retention.ts";
import type { DeleteMedia } from "./delete-media.ts";

export interface RetentionDeps {
  store: EventStore;
  deleteMedia: DeleteMedia;
  retentionDays: number;
  /** See RetentionClock: how long a video whose main variant never settled is waited for after its input image. */
  unsettledGraceMs: number;
  now: () => Date;
  log: Logger;
}

/**
 * One retention pass: read the asset events not seen yet (all of them on the first pass, so what
 * is due is derived from the events, never from a timer), then delete what is older than the retention.
 * A video whose main variant is still being copied is not due (its clock has not started), so
 * retention never deletes the media of a video before the video itself is settled.
 */
export const retentionSweep = ({ store, deleteMedia, retentionDays, unsettledGraceMs, now, log }: RetentionDeps) => {
  const retentionMs = retentionDays * 24 * 3_600_000;
  const index: RetentionIndex = new Map();
  let position = 0;
  return async () => {
    for await (const event of store.readAll({ category: "asset", after: position })) {
      applyToRetentionIndex(index, event);
      position = event.position;
    }
    const due = dueForDeletion(index, now().getTime() - retentionMs, { unsettledGraceMs });
    for (const { videoId, accountId } of due) {
      await deleteMedia({
        videoId,
        accountId,
        reason: `retention: settled more than ${retentionDays} days ago`,
        causationId: null,
      });
      index.delete(videoId);
      log.info({ videoId }, "media deleted by retention");
    }
    return due.length;
  };
};

/** Runs the sweep now and then periodically, one pass at a time; a failed pass is logged and tried again next time. */
export const startRetentionSweeps = (deps: RetentionDeps) => {
  const sweep = retentionSweep(deps);
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = running
      .then(sweep)
      .catch((error: unknown) => deps.log.warn({ err: error }, "retention sweep failed; will try again"));
  };
  pass();
  const timer = setInterval(pass, sweepIntervalMs(deps.retentionDays * 24 * 3_600_000));
  return async () => {
    clearInterval(timer);
    await running;
  };
};
