import { join } from "node:path";
import { fileStorage } from "./file-storage.ts";
import type { ObjectStorage } from "./port.ts";

/** The media storage a service uses, from SPEC.md §2's variables: files under the data dir unless S3 is configured. */
export const openObjectStorage = ({ dataDir }: { dataDir: string }): ObjectStorage =>
  fileStorage(join(dataDir, "media"));
