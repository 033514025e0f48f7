import type { ProviderName } from "./channels.ts";

/** What a public request may ask of a video: made from text, from an image, or from another video. */
export const operations = ["text-to-video", "image-to-video", "remix", "edit", "extend", "characters"] as const;
export type Operation = (typeof operations)[number];

/**
 * What each provider's API can do, as its documentation says (docs/providers/). The API consults it before
 * anything is reserved: a model whose channels cannot do an operation answers 400 `unsupported_operation`.
 * `edit`, `extend` and `characters` are in no shape yet; they are listed so the table is the one place to say so.
 */
export const capabilities: Record<ProviderName, readonly Operation[]> = {
  openai: ["text-to-video", "image-to-video", "remix"],
  azure: ["text-to-video", "image-to-video", "remix"],
  "chat-sse": ["text-to-video", "image-to-video"],
  gemini: ["text-to-video", "image-to-video"],
  vertex: ["text-to-video", "image-to-video"],
  kling: ["text-to-video", "image-to-video"],
  dashscope: ["text-to-video", "image-to-video"],
  ark: ["text-to-video", "image-to-video"],
};

export const canDo = (provider: ProviderName, operation: Operation) => capabilities[provider].includes(operation);

/**
 * Whether a public model can be asked for `operation`: some enabled channel that serves it can do it. A model
 * no channel serves is not refused here (the catalog and the poller say what happens to it).
 */
export const modelSupports = (
  channels: ReadonlyArray<{ provider: ProviderName; models: Record<string, unknown>; disabled: boolean }>,
  model: string,
  operation: Operation,
): boolean => {
  const serving = channels.filter((channel) => !channel.disabled && channel.models[model] !== undefined);
  return serving.length === 0 || serving.some((channel) => canDo(channel.provider, operation));
};
