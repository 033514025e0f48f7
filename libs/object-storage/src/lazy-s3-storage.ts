import type { ObjectStorage } from "./port.ts";
import type { S3Settings } from "./s3-storage.ts";

/**
 * S3 storage with the AWS SDK loaded when S3 is configured, not when the package is imported: the SDK costs a
 * process ~11 MiB of RSS and 4 MiB of heap, which a service on file storage never needs. The load starts at once, so
 * calls wait for it only in the first moments after start.
 */
export const lazyS3Storage = (settings: S3Settings): ObjectStorage => {
  let loaded: ObjectStorage | undefined;
  const loading = import("./s3-storage.ts").then(({ s3Storage }) => {
    loaded = s3Storage(settings);
    return loaded;
  });
  // A failed load fails the calls (each awaits `loading`); it must not also be an unhandled rejection.
  loading.catch(() => undefined);
  const storage = async () => loaded ?? (await loading);
  return {
    put: async (key, body, contentType) => (await storage()).put(key, body, contentType),
    get: async (key, range) => (await storage()).get(key, range),
    head: async (key) => (await storage()).head(key),
    delete: async (key) => (await storage()).delete(key),
    list: async (prefix) => (await storage()).list(prefix),
    signedUrl: async (key, options) => (await storage()).signedUrl(key, options),
    get listsIncomplete() {
      return loaded?.listsIncomplete ?? true;
    },
    incomplete: async (prefix) => (await storage()).incomplete(prefix),
    removeIncomplete: async (prefix, options) => (await storage()).removeIncomplete(prefix, options),
  };
};
