import {
  allowedSeconds,
  allowedSizes,
  type Catalog,
  type CreateVideoRequest,
  defaultSpec,
  modelNames,
  priceOf,
  type VideoSpec,
} from "@reelgate/contracts";
import { ApiError } from "./api-error.ts";

const invalid = (param: string, message: string) => new ApiError(400, message, { param, code: "invalid_value" });

/** Checks model, seconds and size against the catalog, filling defaults; returns the spec and the account's quote. */
export const quoteRequest = (
  request: CreateVideoRequest,
  catalog: Catalog,
  accountId: string,
): { spec: VideoSpec; quoteMicros: number } => {
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
