import type { EventData } from "@reelgate/contracts";
import type { ObjectStorage } from "@reelgate/object-storage";

/** An object ingress stored (an input image, an uploaded source video), whole: providers take it in one body. */
const readStored = async (objects: ObjectStorage, key: string, what: string) => {
  const object = await objects.get(key);
  if (!object) throw new Error(`${what} ${key} is missing from storage`);
  return {
    bytes: Buffer.concat(await object.body.toArray()),
    filename: key.slice(key.lastIndexOf("/") + 1),
  };
};

/** The stored input image, ready for the upstream's form. */
export const readInputImage = async (objects: ObjectStorage, reference: EventData<"JobQueued">["inputReference"]) => {
  if (!reference) return undefined;
  const { bytes, filename } = await readStored(objects, reference.key, "input image");
  return { bytes, contentType: reference.contentType, filename };
};

/** The uploaded video an edit or an extension starts from, as the provider takes it. */
export const readSourceUpload = async (
  objects: ObjectStorage,
  upload: NonNullable<EventData<"JobQueued">["sourceUpload"]>,
) => {
  const { bytes, filename } = await readStored(objects, upload.key, "source video");
  return { kind: "upload" as const, body: new Uint8Array(bytes), contentType: upload.contentType, filename };
};
