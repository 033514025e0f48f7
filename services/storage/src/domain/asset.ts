import type { EventOf, Variant } from "@reelgate/contracts";
import type { Aggregate } from "@reelgate/runtime";

export type AssetEvent = EventOf<"MediaStored" | "MediaStorageFailed">;

export interface AssetState {
  stored: Map<Variant, string>;
  failed: Map<Variant, string>;
}

export type AssetCommand =
  | {
      type: "RecordStored";
      videoId: string;
      variant: Variant;
      key: string;
      bytes: number;
      sha256: string;
      contentType: string;
    }
  | { type: "RecordStorageFailure"; videoId: string; variant: Variant; reason: string };

const settled = (state: AssetState, variant: Variant) => state.stored.has(variant) || state.failed.has(variant);

export const assetAggregate: Aggregate<AssetState, AssetCommand, AssetEvent> = {
  initialState: () => ({ stored: new Map(), failed: new Map() }),
  evolve: (state, event) =>
    event.type === "MediaStored"
      ? { ...state, stored: new Map(state.stored).set(event.data.variant, event.data.key) }
      : { ...state, failed: new Map(state.failed).set(event.data.variant, event.data.reason) },
  decide: (command, state) => {
    if (settled(state, command.variant)) return [];
    if (command.type === "RecordStored") {
      const { type: _type, ...data } = command;
      return [{ type: "MediaStored", data }];
    }
    return [
      {
        type: "MediaStorageFailed",
        data: { videoId: command.videoId, variant: command.variant, reason: command.reason },
      },
    ];
  },
};

export const isSettled = settled;

/** SPEC.md §5: `videos/{account}/{yyyy}/{mm}/{video_id}/{variant}.{ext}`. */
export const mediaKey = ({
  accountId,
  videoId,
  variant,
  extension,
  at,
}: {
  accountId: string;
  videoId: string;
  variant: Variant;
  extension: string;
  at: Date;
}) =>
  `videos/${accountId}/${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, "0")}/${videoId}/${variant}.${extension}`;
