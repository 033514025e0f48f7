import { hash, randomBytes } from "node:crypto";

const token = (bytes: number) => randomBytes(bytes).toString("base64url");

export const newVideoId = () => `video_${randomBytes(16).toString("hex")}`;
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
