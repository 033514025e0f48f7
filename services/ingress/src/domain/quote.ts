import {
  allowedSeconds,
  allowedSizes,
  type Catalog,
  type CreateVideoRequest,
  defaultSpec,
  extensionSeconds,
  modelNames,
  priceOf,
  type VideoSpec,
} from "@reelgate/contracts";
import { InvalidFieldError, invalidField as invalid, UnsupportedOperationError } from "./errors.ts";

export interface Quote {
  spec: VideoSpec;
  quoteMicros: number;
}

/**
 * The price of a video: checks model, seconds and size against the catalog, filling defaults, and prices
 * the spec for the account, once per request. What the decider reserves against.
 */
export const quoteRequest = (
  request: Pick<CreateVideoRequest, "model"> & Partial<Pick<CreateVideoRequest, "seconds" | "size">>,
  catalog: Catalog,
  accountId: string,
): Quote => {
  const defaults = defaultSpec(catalog, request.model);
  if (!defaults) {
    throw invalid(
      "model",
      `Invalid 'model': '${request.model}' is not offered. Use one of: ${modelNames(catalog).join(", ")}.`,
    );
  }
  const spec = {
    model: request.model,
    seconds: request.seconds ?? defaults.seconds,
    size: request.size ?? defaults.size,
  };
  const seconds = allowedSeconds(catalog, spec.model);
  if (!seconds.includes(spec.seconds)) {
    throw invalid(
      "seconds",
      `Invalid 'seconds': '${spec.seconds}' is not allowed for ${spec.model}. Allowed: ${seconds.join(", ")}.`,
    );
  }
  const sizes = allowedSizes(catalog, spec.model);
  if (!sizes.includes(spec.size)) {
    throw invalid(
      "size",
      `Invalid 'size': '${spec.size}' is not allowed for ${spec.model}. Allowed: ${sizes.join(", ")}.`,
    );
  }
  const quoteMicros = priceOf(spec, catalog, accountId);
  if (quoteMicros === undefined) {
    throw invalid("size", `Invalid 'size': ${spec.model} is not offered at ${spec.size} for ${spec.seconds} seconds.`);
  }
  return { spec, quoteMicros };
};

/**
 * A remix (or an edit) of a video made before: priced as what the upstream reported making, which is what it
 * starts from; as requested when the catalog does not sell what it reported.
 */
export const quoteFromSource = (
  sourceId: string,
  { requested, made }: { requested: VideoSpec; made: VideoSpec | null | undefined },
  catalog: Catalog,
  accountId: string,
  param = "video_id",
): Quote => {
  const madePrice = made ? priceOf(made, catalog, accountId) : undefined;
  if (made && madePrice !== undefined) return { spec: made, quoteMicros: madePrice };
  const quoteMicros = priceOf(requested, catalog, accountId);
  if (quoteMicros === undefined)
    throw new InvalidFieldError(`Video '${sourceId}' was made with parameters no longer offered.`, {
      param,
    });
  return { spec: requested, quoteMicros };
};

/**
 * An extension of a `model` video at `size`: `seconds` (default: the first offered) must be one the catalog's
 * `extension_seconds` allow for it (Veo: 7), priced at that entry's rate; a video the catalog extends by nothing
 * (Veo at 1080p) is refused as an operation its provider cannot do, before anything is reserved.
 */
export const quoteExtension = (
  { model, size, seconds }: { model: string; size: string; seconds?: string | undefined },
  catalog: Catalog,
  accountId: string,
): Quote => {
  const allowed = extensionSeconds(catalog, model, size);
  if (allowed.length === 0)
    throw new UnsupportedOperationError(`Videos of ${model} at ${size} cannot be extended.`, {
      param: "video",
      code: "unsupported_operation",
    });
  const spec = { model, size, seconds: seconds ?? (allowed[0] as string) };
  if (!allowed.includes(spec.seconds))
    throw invalid(
      "seconds",
      `Invalid 'seconds': '${spec.seconds}' is not allowed for an extension of a ${model} video at ${size}. Allowed: ${allowed.join(", ")}.`,
    );
  const quoteMicros = priceOf(spec, catalog, accountId, { extension: true });
  if (quoteMicros === undefined)
    throw invalid("seconds", `Invalid 'seconds': ${model} at ${size} is not offered for ${spec.seconds} seconds.`);
  return { spec, quoteMicros };
};
