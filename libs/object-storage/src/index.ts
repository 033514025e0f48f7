export { contentTypeOfKey, extensionOf } from "./content-types.ts";
export { type FileStorageOptions, fileStorage } from "./file-storage.ts";
export { inputImageKey, mediaKey, mediaPrefix, videoFoldersOf } from "./media-keys.ts";
export {
  objectStorageReadiness,
  openObjectStorage,
  type StorageConfig,
  s3SettingsOf,
  signedMediaUrl,
} from "./open-object-storage.ts";
export type { ByteRange, IncompleteUpload, ObjectStorage, StoredObject } from "./port.ts";
// s3Client and s3Storage themselves: "@reelgate/object-storage/s3" (importing them loads the AWS SDK).
export type { S3Settings } from "./s3-storage.ts";
export {
  checkMediaSignature,
  SIGNED_MEDIA_PATH,
  type SignatureCheck,
  signMediaUrl,
  type UrlSigning,
} from "./signed-url.ts";
