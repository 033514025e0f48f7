export { addressPolicy } from "./address-policy.ts";
export { inputImageErrorCodes } from "./errors.ts";
export { type InputImageReader, type InputImageReaderOptions, inputImageDefaults, inputImageReader } from "./reader.ts";
export { isCompleteImage, sniffImageType } from "./sniff.ts";
export type { HostLookup, ImageContentType, InputImage, InputReference, ResolvedAddress } from "./types.ts";
