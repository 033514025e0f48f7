export * from "./content-types.ts";
export * from "./file-storage.ts";
export * from "./media-keys.ts";
export * from "./open-object-storage.ts";
export * from "./port.ts";
export * from "./s3-storage.ts";
export * from "./signed-url.ts";
