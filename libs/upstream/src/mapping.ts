/**
 * SPEC §3's one mapping rule from the public request (`size` WxH, `seconds`, `input_reference`) onto
 * the fields of the providers that take an aspect ratio and a resolution instead of a size. Pure: no
 * I/O, so every adapter and the tests share exactly one reading of a size.
 */

export interface SizeParts {
  width: number;
  height: number;
}

/** `1920x1080` → { width: 1920, height: 1080 }; anything else throws (the catalog admits only WxH). */
export const sizeParts = (size: string): SizeParts => {
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(size);
  if (!match) throw new RangeError(`size '${size}' is not WIDTHxHEIGHT`);
  return { width: Number(match[1]), height: Number(match[2]) };
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** W:H reduced: `1920x1080` → `16:9`, `720x1280` → `9:16`, `1024x1024` → `1:1`. */
export const aspectRatioOf = (size: string): string => {
  const { width, height } = sizeParts(size);
  const divisor = gcd(width, height);
  return `${width / divisor}:${height / divisor}`;
};

/** The shorter side plus `p`: `1920x1080` → `1080p`, `720x1280` → `720p`. */
export const resolutionOf = (size: string): string => {
  const { width, height } = sizeParts(size);
  return `${Math.min(width, height)}p`;
};

/** Kling's `mode`: `pro` makes 1080p, `std` 720p (and anything below). */
export const klingModeOf = (size: string): "std" | "pro" => (resolutionOf(size) === "1080p" ? "pro" : "std");

/** The image as the providers that take it inline want it. */
export const base64Of = (bytes: Buffer) => bytes.toString("base64");
export const dataUrlOf = (bytes: Buffer, contentType: string) => `data:${contentType};base64,${base64Of(bytes)}`;

/**
 * A channel's `models` value: one upstream model, or one for text-to-video and one for image-to-video (and, where the
 * provider edits with yet another, `video`).
 */
export type ModelMapping = string | { text: string; image: string; video?: string | undefined };

/** The upstream model for a job: the `image` one when the job animates an image and the channel names two. */
export const upstreamModelOf = (
  models: Record<string, ModelMapping>,
  publicModel: string,
  withImage: boolean,
): string => {
  const mapping = models[publicModel];
  if (mapping === undefined) return publicModel;
  if (typeof mapping === "string") return mapping;
  return withImage ? mapping.image : mapping.text;
};

/** Every upstream model a channel's `models` names, each once, for look-ups by the upstream name. */
export const upstreamModelsOf = (models: Record<string, ModelMapping>): string[] => [
  ...new Set(
    Object.values(models).flatMap((mapping) =>
      typeof mapping === "string"
        ? [mapping]
        : [mapping.text, mapping.image, ...(mapping.video ? [mapping.video] : [])],
    ),
  ),
];

/** The image-to-video model that goes with a text-to-video one, when the channel names the pair. */
export const imageModelFor = (models: Record<string, ModelMapping>, textModel: string): string | undefined => {
  for (const mapping of Object.values(models))
    if (typeof mapping === "object" && (mapping.text === textModel || mapping.image === textModel))
      return mapping.image;
  return undefined;
};

/** The video-to-video model that goes with a text-to-video one, when the channel names it (`video`). */
export const videoModelFor = (models: Record<string, ModelMapping>, textModel: string): string | undefined => {
  for (const mapping of Object.values(models))
    if (typeof mapping === "object" && (mapping.text === textModel || mapping.image === textModel))
      return mapping.video;
  return undefined;
};

/** The public request, as each provider's documentation writes the fields (SPEC §3). */
export interface MappedRequest {
  gemini: { aspectRatio: string; resolution: string; durationSeconds: number };
  kling: { aspect_ratio: string; mode: "std" | "pro"; duration: string };
  /** DashScope writes a text-to-video size `1920*1080`, an image-to-video resolution `1080P`. */
  dashscope: { text: { size: string; duration: number }; image: { resolution: string; duration: number } };
  ark: { resolution: string; ratio: string; duration: number };
  /** Runway writes the size itself as its `ratio`, `1920:1080`, and the seconds as a number. */
  runway: { ratio: string; duration: number };
  /** Luma: `aspect_ratio` reduced, `resolution` `1080p`, `duration` `5s`. */
  luma: { aspect_ratio: string; resolution: string; duration: string };
  /** MiniMax writes the resolution `768P`, `1080P`; the ratio follows from the model (or the first frame). */
  minimax: { resolution: string; duration: number };
}

export const mapRequest = ({ size, seconds }: { size: string; seconds: string }): MappedRequest => {
  const { width, height } = sizeParts(size);
  const ratio = aspectRatioOf(size);
  const resolution = resolutionOf(size);
  const duration = Number(seconds);
  return {
    gemini: { aspectRatio: ratio, resolution, durationSeconds: duration },
    kling: { aspect_ratio: ratio, mode: klingModeOf(size), duration: String(duration) },
    dashscope: {
      text: { size: `${width}*${height}`, duration },
      image: { resolution: resolution.toUpperCase(), duration },
    },
    ark: { resolution, ratio, duration },
    runway: { ratio: `${width}:${height}`, duration },
    luma: { aspect_ratio: ratio, resolution, duration: `${duration}s` },
    minimax: { resolution: resolution.toUpperCase(), duration },
  };
};

/** Back from a ratio and a resolution to the public WxH the provider made, for reports and billing. */
export const sizeFrom = (ratio: string, resolution: string, fallback: string): string => {
  const r = /^(\d+):(\d+)$/.exec(ratio);
  const short = Number.parseInt(resolution, 10);
  if (!r || !Number.isFinite(short)) return fallback;
  const w = Number(r[1]);
  const h = Number(r[2]);
  if (w >= h) return `${Math.round((short * w) / h)}x${short}`;
  return `${short}x${Math.round((short * h) / w)}`;
};
