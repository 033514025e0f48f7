import { createHmac, timingSafeEqual } from "node:crypto";

/** Where ingress serves file-storage objects by signed URL, without an API key. */
export const SIGNED_MEDIA_PATH = "/media/";

export interface UrlSigning {
  /** The base the URLs start with (`REELGATE_PUBLIC_URL`): ingress, as the outside world reaches it. */
  publicUrl: string;
  /** `REELGATE_SIGNING_SECRET`, shared by every service that signs or checks. */
  secret: string;
  now: () => Date;
}

const signatureOf = (secret: string, key: string, expires: number) =>
  createHmac("sha256", secret).update(`${key}\n${expires}`).digest("base64url");

const encodeKey = (key: string) => key.split("/").map(encodeURIComponent).join("/");

/** `{publicUrl}/media/{key}?expires={unix seconds}&signature={HMAC-SHA256 of key and expiry}`. */
export const signMediaUrl = (signing: UrlSigning, key: string, expiresInSeconds: number): string => {
  const expires = Math.floor(signing.now().getTime() / 1000) + Math.max(1, Math.floor(expiresInSeconds));
  const base = signing.publicUrl.replace(/\/+$/, "");
  return `${base}${SIGNED_MEDIA_PATH}${encodeKey(key)}?expires=${expires}&signature=${signatureOf(signing.secret, key, expires)}`;
};

export type SignatureCheck = "valid" | "expired" | "invalid";

/** Whether a signed URL's key, expiry and signature belong together, and the expiry is still ahead. */
export const checkMediaSignature = (
  { secret, now }: Pick<UrlSigning, "secret" | "now">,
  key: string,
  query: { expires?: string | undefined; signature?: string | undefined },
): SignatureCheck => {
  if (!query.expires || !/^\d{1,12}$/.test(query.expires) || !query.signature) return "invalid";
  const expires = Number(query.expires);
  const expected = Buffer.from(signatureOf(secret, key, expires));
  const given = Buffer.from(query.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
  return expires * 1000 > now().getTime() ? "valid" : "expired";
};
