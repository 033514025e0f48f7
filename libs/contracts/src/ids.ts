import { hash, randomBytes, randomFillSync } from "node:crypto";

const token = (bytes: number) => randomBytes(bytes).toString("base64url");

/**
 * `video_` and 32 hex digits: the creation time in milliseconds (12 digits), then 80 random bits. Videos made
 * close together get ids that sort together, so the rows keyed by video id (a video's history, its document,
 * its task stream) of the videos in flight sit on a few b-tree pages at the right edge instead of one random
 * page each: a projection commit dirties ~40% fewer pages (docs/architecture.md). 80 random bits still cannot
 * be guessed, and no video is found by its id alone (every read checks its account).
 */
export const newVideoId = (now = Date.now()) =>
  `video_${Math.floor(now).toString(16).padStart(12, "0").slice(-12)}${videoIdRandom()}`;

/** The 80 random bits of a video id, from a pool filled 256 ids at a time (one `randomBytes` each was ~2% of a create). */
const videoIdPool = Buffer.alloc(10 * 256);
let videoIdTaken = videoIdPool.length;
const videoIdRandom = () => {
  if (videoIdTaken === videoIdPool.length) {
    randomFillSync(videoIdPool);
    videoIdTaken = 0;
  }
  videoIdTaken += 10;
  return videoIdPool.toString("hex", videoIdTaken - 10, videoIdTaken);
};
export const newAccountId = () => `acct_${randomBytes(12).toString("hex")}`;
export const newKeyId = () => `key_${randomBytes(12).toString("hex")}`;
export const newApiKey = () => `rg-${token(32)}`;
export const newEventId = () => `evt_${token(16)}`;

/**
 * The id of an event that reacts to another one: the same source event and purpose always give
 * the same id, so a redelivered message appends nothing new.
 */
export const derivedId = (purpose: string, ...parts: string[]) =>
  // One-shot `hash`: the same digest as createHash's, at a third of its cost (every event appended derives its id).
  `evt_${hash("sha256", [purpose, ...parts].join("\u0000"), "base64url").slice(0, 32)}`;

// One-shot `hash`: a third of createHash's cost, and it runs on every API request (the key's hash).
export const sha256Hex = (text: string) => hash("sha256", text, "hex");
export const newWebhookEndpointId = () => `whe_${randomBytes(12).toString("hex")}`;
/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;
export const newCharacterId = () => `char_${randomBytes(16).toString("hex")}`;
