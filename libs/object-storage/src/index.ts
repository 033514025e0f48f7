export * from "./content-types.ts";
export * from "./file-storage.ts";
export * from "./open-object-storage.ts";
export * from "./port.ts";
