import { BusyError, InvalidFieldError, TooLargeError, UnsupportedMediaError } from "../../domain/errors.ts";

const param = "input_reference";

/** The error codes this module answers with; all carry `param: "input_reference"`. */
export const inputImageErrorCodes = {
  invalid: "invalid_input_reference",
  scheme: "unsupported_url_scheme",
  blocked: "blocked_address",
  redirects: "too_many_redirects",
  fetchFailed: "fetch_failed",
  timeout: "fetch_timeout",
  tooLarge: "image_too_large",
  notAnImage: "unsupported_image_type",
  /** Does not decode: cut off, or only dressed as an image (the same code as `incomplete`, another message). */
  notDecodable: "invalid_image",
  busy: "image_fetches_busy",
  incomplete: "invalid_image",
} as const;

export const invalidReference = (why: string) =>
  new InvalidFieldError(`input_reference ${why}.`, { param, code: inputImageErrorCodes.invalid });

export const unsupportedScheme = (scheme: string) =>
  new InvalidFieldError(`input_reference URLs must use http or https, not ${scheme}.`, {
    param,
    code: inputImageErrorCodes.scheme,
  });

// The message names the kind of address, never the address: DNS answers stay ours.
export const blockedAddress = (reason: string) =>
  new InvalidFieldError(`input_reference URL points to a ${reason} address, which Reelgate does not fetch from.`, {
    param,
    code: inputImageErrorCodes.blocked,
  });

export const tooManyRedirects = (max: number) =>
  new InvalidFieldError(`input_reference URL redirected more than ${max} times.`, {
    param,
    code: inputImageErrorCodes.redirects,
  });

export const fetchFailed = (why: string) =>
  new InvalidFieldError(`input_reference URL could not be fetched: ${why}.`, {
    param,
    code: inputImageErrorCodes.fetchFailed,
  });

export const fetchTimedOut = (timeoutMs: number) =>
  new InvalidFieldError(`input_reference URL could not be fetched within ${timeoutMs} ms.`, {
    param,
    code: inputImageErrorCodes.timeout,
  });

export const imageTooLarge = (maxBytes: number) =>
  new TooLargeError(`input_reference image is larger than ${maxBytes} bytes.`, {
    param,
    code: inputImageErrorCodes.tooLarge,
  });

export const notAnImage = () =>
  new UnsupportedMediaError("input_reference must be a JPEG, PNG or WebP image.", {
    param,
    code: inputImageErrorCodes.notAnImage,
  });

export const incompleteImage = (type: string) =>
  new UnsupportedMediaError(
    `input_reference is not a whole ${type.replace("image/", "").toUpperCase()} image: it ends before its end marker (cut off in transit?).`,
    {
      param,
      code: inputImageErrorCodes.incomplete,
    },
  );

export const notDecodable = () =>
  new UnsupportedMediaError("input_reference could not be decoded as a JPEG, PNG or WebP image.", {
    param,
    code: inputImageErrorCodes.notDecodable,
  });

/** Too many image fetches at once, for this account or for this ingress: try again shortly. */
export const fetchesBusy = (scope: "account" | "all", limit: number) =>
  scope === "account"
    ? new BusyError(
        `Too many input_reference URLs are being fetched for this account at once (at most ${limit}); retry shortly.`,
        "account",
        { param, code: inputImageErrorCodes.busy },
      )
    : new BusyError(
        `Reelgate is fetching as many input_reference URLs as it may at once (${limit}); retry shortly.`,
        "service",
        { param, code: inputImageErrorCodes.busy },
      );
