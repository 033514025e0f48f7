import { imageTooLarge, invalidReference } from "./errors.ts";

const strictBase64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes standard base64 with padding (whitespace tolerated), checking the size before allocating. */
export const decodeStrictBase64 = (text: string, maxBytes: number): Buffer => {
  const compact = text.replace(/[\t\n\r ]/g, "");
  if (compact.length === 0) throw invalidReference("is empty");
  if (compact.length % 4 !== 0 || !strictBase64.test(compact)) {
    throw invalidReference("is neither an http(s) URL, a data URL nor valid base64");
  }
  const padding = compact.endsWith("==") ? 2 : compact.endsWith("=") ? 1 : 0;
  if ((compact.length / 4) * 3 - padding > maxBytes) throw imageTooLarge(maxBytes);
  return Buffer.from(compact, "base64");
};

/** Decodes `data:image/…;base64,…`; other media types and percent-encoded data are refused. */
export const decodeImageDataUrl = (url: string, maxBytes: number): Buffer => {
  const comma = url.indexOf(",");
  if (comma < 0) throw invalidReference("data URL has no ',' before its data");
  const [mediaType = "", ...parameters] = url.slice("data:".length, comma).split(";");
  if (!/^image\/[a-z0-9.+-]+$/i.test(mediaType.trim())) throw invalidReference("data URL must have an image/* type");
  if (parameters.at(-1)?.trim().toLowerCase() !== "base64") throw invalidReference("data URL must be base64-encoded");
  return decodeStrictBase64(url.slice(comma + 1), maxBytes);
};
