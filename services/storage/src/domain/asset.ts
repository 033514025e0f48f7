import type { EventData, EventOf, Variant } from "@reelgate/contracts";
import type { Aggregate } from "@reelgate/runtime";

export type AssetEvent = EventOf<"MediaStored" | "MediaStorageFailed" | "InputImageNoted" | "MediaDeleted">;

export interface AssetState {
  stored: Map<Variant, string>;
  failed: Map<Variant, string>;
  /** The video's input image, stored by ingress. */
  inputKey: string | null;
  /** Once deleted, nothing is stored or noted for the video again. */
  deleted: boolean;
  deletedKeys: string[];
}

export type AssetCommand =
  /** Variants copied together (the thumbnail and spritesheet, say) in one commit; one already settled is skipped. */
  | { type: "RecordStored"; videoId: string; stored: Array<EventData<"MediaStored">> }
  | ({ type: "RecordStorageFailure" } & EventData<"MediaStorageFailed">)
  | ({ type: "NoteInputImage" } & EventData<"InputImageNoted">)
  | { type: "DeleteMedia"; videoId: string; reason: string };

const settled = (state: AssetState, variant: Variant) => state.stored.has(variant) || state.failed.has(variant);

/** Every object the asset knows of: the stored variants and the input image. */
export const keysOf = (state: AssetState) => [
  ...state.stored.values(),
  ...(state.inputKey === null ? [] : [state.inputKey]),
];

const evolve = (state: AssetState, event: AssetEvent): AssetState => {
  switch (event.type) {
    case "MediaStored":
      return { ...state, stored: new Map(state.stored).set(event.data.variant, event.data.key) };
    case "MediaStorageFailed":
      return { ...state, failed: new Map(state.failed).set(event.data.variant, event.data.reason) };
    case "InputImageNoted":
      return { ...state, inputKey: event.data.key };
    case "MediaDeleted":
      return { ...state, deleted: true, deletedKeys: event.data.keys };
  }
};

const decide = (command: AssetCommand, state: AssetState): AssetEvent[] => {
  if (state.deleted) return [];
  const { type, ...data } = command;
  switch (type) {
    case "RecordStored": {
      const recorded = new Set<Variant>();
      return command.stored.flatMap((object): AssetEvent[] => {
        if (settled(state, object.variant) || recorded.has(object.variant)) return [];
        recorded.add(object.variant);
        return [{ type: "MediaStored", data: object }];
      });
    }
    case "RecordStorageFailure":
      return settled(state, command.variant)
        ? []
        : [{ type: "MediaStorageFailed", data: data as EventData<"MediaStorageFailed"> }];
    case "NoteInputImage":
      return state.inputKey === null ? [{ type: "InputImageNoted", data: data as EventData<"InputImageNoted"> }] : [];
    case "DeleteMedia":
      return [
        { type: "MediaDeleted", data: { videoId: command.videoId, keys: keysOf(state), reason: command.reason } },
      ];
  }
};

export const assetAggregate: Aggregate<AssetState, AssetCommand, AssetEvent> = {
  initialState: () => ({ stored: new Map(), failed: new Map(), inputKey: null, deleted: false, deletedKeys: [] }),
  evolve,
  decide,
};

export const isSettled = settled;
