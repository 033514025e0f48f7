import { z } from "zod";
import type { Micros } from "./money.ts";

/** One priced offer: a model at some sizes and seconds, priced per second or per request. */
export const catalogEntrySchema = z.object({
  model: z.string().min(1),
  seconds: z.array(z.string().regex(/^\d+$/)).min(1),
  sizes: z.array(z.string().regex(/^\d+x\d+$/)).min(1),
  per_second_micros: z.number().int().nonnegative().optional(),
  per_request_micros: z.number().int().nonnegative().optional(),
  /**
   * The seconds an extension of a video of this entry may add, priced at the entry's rate; unset: the entry's own
   * `seconds`; empty: its videos cannot be extended (Veo: 7 s, 720p sources only).
   */
  extension_seconds: z.array(z.string().regex(/^\d+$/)).optional(),
});
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

export const catalogSchema = z.object({
  models: z.array(catalogEntrySchema).min(1),
  /** Per-account factor on every price (0.8 = 20% off); accounts not named pay the list price. */
  accountMultipliers: z.record(z.string(), z.number().positive()).default({}),
  /** SPEC.md §4: charge a reported price above the quote (up to the balance); unset, the quote is the ceiling. */
  chargeOverage: z.boolean().optional(),
});
export type Catalog = z.infer<typeof catalogSchema>;

const portrait = ["720x1280", "1280x720"];
const fourEightTwelve = ["4", "8", "12"];
const chatModel = (model: string, size: string, seconds: string): CatalogEntry => ({
  model,
  seconds: [seconds],
  sizes: [size],
  per_request_micros: 150_000,
});

/** SPEC.md §3, the built-in catalog. */
export const builtInCatalog: Catalog = {
  accountMultipliers: {},
  models: [
    { model: "sora-2", seconds: fourEightTwelve, sizes: portrait, per_second_micros: 100_000 },
    { model: "sora-2-pro", seconds: fourEightTwelve, sizes: portrait, per_second_micros: 300_000 },
    { model: "sora-2-pro", seconds: fourEightTwelve, sizes: ["1024x1792", "1792x1024"], per_second_micros: 500_000 },
    { model: "sora-2-pro", seconds: fourEightTwelve, sizes: ["1080x1920", "1920x1080"], per_second_micros: 700_000 },
    chatModel("sora_video2", "704x1280", "10"),
    chatModel("sora_video2-landscape", "1280x704", "10"),
    chatModel("sora_video2-15s", "704x1280", "15"),
    chatModel("sora_video2-landscape-15s", "1280x704", "15"),
    // The providers after Sora (docs/billing.md has each price's source and date). Veo makes 1080p only at 8 s.
    // Veo extends a 720p video by 7 s, and no 1080p one (docs/providers/gemini.md, vertex.md).
    {
      model: "veo-3.1",
      seconds: ["4", "6", "8"],
      sizes: ["1280x720", "720x1280"],
      per_second_micros: 400_000,
      extension_seconds: ["7"],
    },
    {
      model: "veo-3.1",
      seconds: ["8"],
      sizes: ["1920x1080", "1080x1920"],
      per_second_micros: 400_000,
      extension_seconds: [],
    },
    { model: "kling-v2", seconds: ["5", "10"], sizes: ["1280x720", "720x1280"], per_second_micros: 70_000 },
    { model: "kling-v2", seconds: ["5", "10"], sizes: ["1920x1080", "1080x1920"], per_second_micros: 140_000 },
    { model: "wan2.5", seconds: ["5", "10"], sizes: ["1280x720", "720x1280"], per_second_micros: 100_000 },
    { model: "wan2.5", seconds: ["5", "10"], sizes: ["1920x1080", "1080x1920"], per_second_micros: 150_000 },
    { model: "seedance-1.0-pro", seconds: ["5", "10"], sizes: ["1280x720", "720x1280"], per_second_micros: 54_000 },
    { model: "seedance-1.0-pro", seconds: ["5", "10"], sizes: ["1920x1080", "1080x1920"], per_second_micros: 124_000 },
    { model: "gen4.5", seconds: ["5", "10"], sizes: ["1280x720", "720x1280"], per_second_micros: 120_000 },
    { model: "ray-2", seconds: ["5", "9"], sizes: ["1280x720", "720x1280"], per_second_micros: 80_000 },
  ],
};

export interface VideoSpec {
  model: string;
  seconds: string;
  size: string;
}

export const entriesFor = (catalog: Catalog, model: string): CatalogEntry[] =>
  catalog.models.filter((entry) => entry.model === model);

export const modelNames = (catalog: Catalog): string[] => [...new Set(catalog.models.map((entry) => entry.model))];

export const allowedSeconds = (catalog: Catalog, model: string): string[] => [
  ...new Set(entriesFor(catalog, model).flatMap((entry) => entry.seconds)),
];

export const allowedSizes = (catalog: Catalog, model: string): string[] => [
  ...new Set(entriesFor(catalog, model).flatMap((entry) => entry.sizes)),
];

/** Defaults a client gets when it leaves seconds or size out: the first the catalog lists for the model. */
export const defaultSpec = (catalog: Catalog, model: string): { seconds: string; size: string } | undefined => {
  const first = entriesFor(catalog, model)[0];
  return first && { seconds: first.seconds[0] as string, size: first.sizes[0] as string };
};

/** The seconds an extension may add to a video of `model` at `size` (empty: such videos cannot be extended). */
export const extensionSeconds = (catalog: Catalog, model: string, size: string): string[] => [
  ...new Set(
    entriesFor(catalog, model)
      .filter((entry) => entry.sizes.includes(size))
      .flatMap((entry) => entry.extension_seconds ?? entry.seconds),
  ),
];

/**
 * The price of one video for an account, or undefined when the catalog does not offer this
 * combination. A multiplier is applied to the list price and rounded to the nearest micro-dollar
 * once, so a quote and a capture of the same video always agree.
 */
export const priceOf = (
  spec: VideoSpec,
  catalog: Catalog,
  accountId?: string,
  /** `extension`: the spec's seconds are an extension's, priced by the entries' `extension_seconds`. */
  { extension = false }: { extension?: boolean } = {},
): Micros | undefined => {
  const entry = entriesFor(catalog, spec.model).find(
    (candidate) =>
      (extension ? (candidate.extension_seconds ?? candidate.seconds) : candidate.seconds).includes(spec.seconds) &&
      candidate.sizes.includes(spec.size),
  );
  if (!entry) return undefined;
  const listPrice = (entry.per_request_micros ?? 0) + (entry.per_second_micros ?? 0) * Number(spec.seconds);
  const multiplier = accountId === undefined ? 1 : (catalog.accountMultipliers[accountId] ?? 1);
  return multiplier === 1 ? listPrice : Math.round(listPrice * multiplier);
};
