import type { TypedEnvelope } from "@reelgate/contracts";
import type { ObjectStorage } from "@reelgate/object-storage";
import type { AssetRecords } from "./asset-records.ts";

/** Remembers the key of a video's input image in its asset stream, so deleting the video removes the image too. */
export const noteInputImage =
  ({ records, objects }: { records: AssetRecords; objects: ObjectStorage }) =>
  async (event: TypedEnvelope & { type: "VideoRequested" }) => {
    const { videoId, accountId, inputReference } = event.data;
    if (!inputReference) return;
    const { state } = await records.execute(
      { type: "NoteInputImage", videoId, accountId, key: inputReference.key },
      { commitId: `input:${videoId}`, causationId: event.id, accountId },
    );
    // The video was deleted before we heard of its image: nothing may keep it.
    if (state.deleted) await objects.delete(inputReference.key);
  };
