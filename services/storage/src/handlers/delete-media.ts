import type { ObjectStorage } from "@reelgate/object-storage";
import { videoFoldersOf } from "@reelgate/object-storage";
import type { AssetRecords } from "./asset-records.ts";

/**
 * Removes the objects, then whatever else sits in the videos' own folders (a variant stored by a
 * copy that raced the delete) and any upload left open there. Safe to repeat.
 */
export const removeObjects = async (objects: ObjectStorage, keys: readonly string[]) => {
  for (const key of keys) await objects.delete(key);
  for (const folder of videoFoldersOf(keys)) {
    for (const key of await objects.list(folder)) await objects.delete(key);
    await objects.removeIncomplete(folder);
  }
};

export interface DeleteRequest {
  videoId: string;
  accountId: string | null;
  reason: string;
  causationId: string | null;
}

/**
 * Deletes every object of a video: records MediaDeleted (once, whatever asked for it: the owner or
 * retention), then removes the objects it names. The message is acked only after the removal, so a
 * crash in between repeats it; copies and notes that come after see the asset deleted and undo themselves.
 */
export const deleteMedia =
  ({ records, objects }: { records: AssetRecords; objects: ObjectStorage }) =>
  async ({ videoId, accountId, reason, causationId }: DeleteRequest) => {
    const { state } = await records.execute(
      { type: "DeleteMedia", videoId, reason },
      { commitId: `deleted:${videoId}`, causationId, accountId },
    );
    await removeObjects(objects, state.deletedKeys);
  };

export type DeleteMedia = ReturnType<typeof deleteMedia>;
