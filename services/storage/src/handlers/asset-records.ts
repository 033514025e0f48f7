import { streamId } from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { aggregateRepository } from "@reelgate/runtime";
import { type AssetCommand, assetAggregate } from "../domain/asset.ts";

export interface RecordMeta {
  /** Derived from what caused the command (`{purpose}:{videoId}`), so a redelivery appends nothing. */
  commitId: string;
  causationId: string | null;
  accountId: string | null;
}

/** The `asset-{videoId}` streams: load one, or decide a command on it and append. */
export const assetRecords = ({
  store,
  now,
  onAppended,
}: {
  store: EventStore;
  now: () => Date;
  onAppended: () => void;
}) => {
  const assets = aggregateRepository(store, assetAggregate);
  return {
    load: (videoId: string) => assets.load(streamId("asset", videoId)),
    async execute(command: AssetCommand, meta: RecordMeta) {
      const decision = await assets.execute(streamId("asset", command.videoId), command, {
        ...meta,
        correlationId: command.videoId,
        now: now(),
      });
      if (decision.events.length > 0) onAppended();
      return decision;
    },
  };
};

export type AssetRecords = ReturnType<typeof assetRecords>;
