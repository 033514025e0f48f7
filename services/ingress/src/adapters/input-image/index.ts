export { addressPolicy } from "./address-policy.ts";
export { fitImage, MAX_INPUT_PIXELS, parseSize } from "./decode.ts";
export { inputImageErrorCodes } from "./errors.ts";
export { type InputImageReaderOptions, inputImageDefaults, inputImageReader } from "./reader.ts";
export { isCompleteImage, sniffImageType } from "./sniff.ts";
export {
  type HostLookup,
  type ImageContentType,
  type InputFit,
  type InputImage,
  type InputImageReader,
  type InputReference,
  inputFits,
  type PendingImage,
  type ResolvedAddress,
} from "./types.ts";
