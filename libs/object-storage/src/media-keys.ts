import type { Variant } from "@reelgate/contracts";
import { extensionOf } from "./content-types.ts";

/** `{yyyy}/{mm}` of `at`, in UTC: media and input images are filed by month. */
const monthOf = (at: Date) => `${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, "0")}`;

/** The folder of every variant of one video: deleting it by prefix removes the video's media. */
export const mediaPrefix = ({ accountId, videoId, at }: { accountId: string; videoId: string; at: Date }) =>
  `videos/${accountId}/${monthOf(at)}/${videoId}/`;

/** SPEC.md §5: `videos/{account}/{yyyy}/{mm}/{video_id}/{variant}.{ext}`. */
export const mediaKey = ({
  accountId,
  videoId,
  variant,
  extension,
  at,
}: {
  accountId: string;
  videoId: string;
  variant: Variant;
  extension: string;
  at: Date;
}) => `${mediaPrefix({ accountId, videoId, at })}${variant}.${extension}`;

/**
 * SPEC.md §5: a video's inputs under `inputs/{account}/{yyyy}/{mm}/{video_id}{suffix}.{ext}`: its input image
 * (no suffix), or the uploaded video an edit or extension starts from (`-source`).
 */
export const inputImageKey = ({
  accountId,
  videoId,
  at,
  contentType,
  suffix = "",
}: {
  accountId: string;
  videoId: string;
  at: Date;
  contentType: string;
  suffix?: "" | "-source";
}) => `inputs/${accountId}/${monthOf(at)}/${videoId}${suffix}.${extensionOf(contentType)}`;

/** The per-video folders among `keys` (input images share a folder per month, so theirs are not). */
export const videoFoldersOf = (keys: readonly string[]) => [
  ...new Set(keys.filter((key) => key.startsWith("videos/")).map((key) => key.slice(0, key.lastIndexOf("/") + 1))),
];
