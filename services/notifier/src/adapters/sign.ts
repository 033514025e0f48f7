import { Webhook } from "standardwebhooks";

/** The secrets an endpoint signs with now: the current one, and during a kept-old overlap the previous one. */
export interface SigningSecrets {
  id: string;
  current: string;
  previous: string | null;
  /** Unix seconds; the previous secret signs while now is before it. */
  previousValidUntil: number | null;
}

export const activeSecrets = (secrets: SigningSecrets, nowSeconds: number): string[] =>
  secrets.previous && secrets.previousValidUntil !== null && nowSeconds < secrets.previousValidUntil
    ? [secrets.current, secrets.previous]
    : [secrets.current];

/**
 * Standard Webhooks headers for one attempt: a fresh timestamp, and one `v1,…` signature per active
 * secret, space-separated (receivers accept any that matches).
 */
export const signedHeaders = (
  webhookId: string,
  body: string,
  secrets: string[],
  now: Date,
): Record<string, string> => ({
  "content-type": "application/json",
  "user-agent": "Reelgate-Webhooks/1",
  "webhook-id": webhookId,
  "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
  "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(webhookId, now, body)).join(" "),
});
