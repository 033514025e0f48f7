import type { ProviderName } from "./channels.ts";

/** What a public request may ask of a video: made from text, from an image, or from another video. */
export const operations = ["text-to-video", "image-to-video", "remix", "edit", "extend", "characters"] as const;
export type Operation = (typeof operations)[number];

/**
 * What each provider's API can do, as its documentation says (docs/providers/, docs/api.md "Which model can do
 * what"). The API consults it before anything is reserved: a model whose channels cannot do an operation answers
 * 400 `unsupported_operation`; the poller consults it again and fails (uncharged) a job whose channel cannot.
 * `edit` and `extend` here are of a video this channel made; `fromUpload` says who also takes an uploaded file.
 */
export const capabilities: Record<ProviderName, readonly Operation[]> = {
  openai: ["text-to-video", "image-to-video", "remix", "edit", "extend", "characters"],
  azure: ["text-to-video", "image-to-video", "remix", "edit", "extend", "characters"],
  "chat-sse": ["text-to-video", "image-to-video"],
  // Veo extends a video Veo made, sent back in `instances[].video` (docs/providers/gemini.md, vertex.md); no upload.
  gemini: ["text-to-video", "image-to-video", "extend"],
  vertex: ["text-to-video", "image-to-video", "extend"],
  // Kling's video-extend continues a video of its own by id (docs/providers/kling.md); it takes no uploaded file.
  kling: ["text-to-video", "image-to-video", "extend"],
  dashscope: ["text-to-video", "image-to-video"],
  ark: ["text-to-video", "image-to-video"],
  // Runway's video_to_video edits a video of its own (its output link) or an uploaded file (docs/providers/runway.md).
  runway: ["text-to-video", "image-to-video", "edit"],
  // Luma takes images and videos only as URLs: no input image, no uploaded file; it extends (keyframes) and modifies
  // a generation of its own (docs/providers/luma.md).
  luma: ["text-to-video", "edit", "extend"],
  minimax: ["text-to-video", "image-to-video"],
};

/** The edits and extensions a provider takes from an uploaded video file rather than a job of its own. */
export const fromUpload: Record<ProviderName, readonly Operation[]> = {
  openai: ["edit", "extend"],
  azure: ["edit", "extend"],
  "chat-sse": [],
  gemini: [],
  vertex: [],
  kling: [],
  dashscope: [],
  ark: [],
  runway: ["edit"],
  luma: [],
  minimax: [],
};

/** Whether `provider` can do `operation`; with `upload`, from an uploaded video file. */
export const canDo = (provider: ProviderName, operation: Operation, { upload = false }: { upload?: boolean } = {}) =>
  (upload ? fromUpload : capabilities)[provider].includes(operation);

/** Whether a channel may take the operation now: enabled and its provider can do it. */
export const channelSupports = (
  channel: { provider: ProviderName; disabled: boolean },
  operation: Operation,
  options: { upload?: boolean } = {},
) => !channel.disabled && canDo(channel.provider, operation, options);

/**
 * Whether a public model can be asked for `operation`: some enabled channel that serves it can do it (with
 * `upload`, from an uploaded file). A model no channel serves is not refused here (the catalog and the poller
 * say what happens to it).
 */
export const modelSupports = (
  channels: ReadonlyArray<{ provider: ProviderName; models: Record<string, unknown>; disabled: boolean }>,
  model: string,
  operation: Operation,
  options: { upload?: boolean } = {},
): boolean => {
  const serving = channels.filter((channel) => !channel.disabled && channel.models[model] !== undefined);
  return serving.length === 0 || serving.some((channel) => canDo(channel.provider, operation, options));
};
