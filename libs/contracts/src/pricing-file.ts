import { z } from "zod";
import type { Catalog } from "./catalog.ts";
import { parseUsd } from "./money.ts";

const usd = z
  .union([
    z.string().regex(/^\d+(\.\d{1,6})?$/, 'expected a USD amount with at most 6 decimal places, e.g. "0.10"'),
    z.number().nonnegative().finite(),
  ])
  .transform((value) => parseUsd(value));

const pricedOfferSchema = z
  .strictObject({
    model: z.string().min(1),
    seconds: z
      .array(z.union([z.string().regex(/^\d+$/, "expected whole seconds"), z.number().int().positive()]))
      .min(1)
      .transform((values) => values.map(String)),
    sizes: z.array(z.string().regex(/^\d+x\d+$/, "expected WxH, e.g. 720x1280")).min(1),
    usd_per_second: usd.optional(),
    usd_per_request: usd.optional(),
    /** What an extension of these videos may add (catalog.ts); unset: `seconds`; empty: not extendable. */
    extension_seconds: z
      .array(z.union([z.string().regex(/^\d+$/, "expected whole seconds"), z.number().int().positive()]))
      .transform((values) => values.map(String))
      .optional(),
  })
  .refine((offer) => offer.usd_per_second !== undefined || offer.usd_per_request !== undefined, {
    message: "give usd_per_second, usd_per_request or both",
  });

/**
 * REELGATE_PRICING_FILE (JSON or YAML): the model catalog that replaces SPEC.md §3's, with prices as
 * USD strings. It becomes the same Catalog the built-in one is, in micro-USD.
 */
export const pricingFileSchema = z
  .strictObject({
    models: z.array(pricedOfferSchema).min(1),
    account_multipliers: z.record(z.string().min(1), z.number().positive().max(100)).default({}),
    /** Charge what the upstream reports above the quote, up to the balance (SPEC.md §4); off by default. */
    charge_overage: z.boolean().default(false),
  })
  .superRefine((file, context) => {
    const offered = new Map<string, number>();
    file.models.forEach((offer, index) => {
      for (const seconds of offer.seconds)
        for (const size of offer.sizes) {
          const key = `${offer.model} ${seconds}s ${size}`;
          const earlier = offered.get(key);
          if (earlier !== undefined)
            context.addIssue({
              code: "custom",
              path: ["models", index],
              message: `${key} is already priced by models.${earlier}`,
            });
          else offered.set(key, index);
        }
    });
  })
  .transform(
    (file): Catalog => ({
      models: file.models.map((offer) => ({
        model: offer.model,
        seconds: offer.seconds,
        sizes: offer.sizes,
        per_second_micros: offer.usd_per_second,
        per_request_micros: offer.usd_per_request,
        ...(offer.extension_seconds ? { extension_seconds: offer.extension_seconds } : {}),
      })),
      accountMultipliers: file.account_multipliers,
      chargeOverage: file.charge_overage,
    }),
  );
