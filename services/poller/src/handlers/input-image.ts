import type { EventData } from "@reelgate/contracts";
import type { ObjectStorage } from "@reelgate/object-storage";

/** The stored input image, ready for the upstream's form. */
export const readInputImage = async (objects: ObjectStorage, reference: EventData<"JobQueued">["inputReference"]) => {
  if (!reference) return undefined;
  const object = await objects.get(reference.key);
  if (!object) throw new Error(`input image ${reference.key} is missing from storage`);
  const bytes = Buffer.concat(await object.body.toArray());
  return {
    bytes,
    contentType: reference.contentType,
    filename: reference.key.slice(reference.key.lastIndexOf("/") + 1),
  };
};
