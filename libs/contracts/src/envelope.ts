import { z } from "zod";

/**
 * Event categories; each is written by exactly one service (apikey, task and character: ingress, account: billing, job: poller,
 * asset: storage, webhook and delivery: notifier).
 */
export const categories = ["task", "account", "job", "asset", "apikey", "webhook", "delivery", "character"] as const;
export type Category = (typeof categories)[number];

/** Stream ids are `{category}-{entityId}`, so the category can always be read back from a stream id. */
export const streamId = (category: Category, entityId: string): string => `${category}-${entityId}`;

export const categoryOf = (stream: string): Category => {
  const category = stream.slice(0, stream.indexOf("-"));
  if (!(categories as readonly string[]).includes(category)) throw new Error(`unknown stream category in '${stream}'`);
  return category as Category;
};

/**
 * Every event travels in this envelope. `version` is the event's position in its stream (1-based);
 * `schemaVersion` is the version of the event type's data shape.
 */
export const envelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  stream: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.string(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  accountId: z.string().nullable(),
  data: z.unknown(),
});
export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, "data"> & { data: T };

/** An event before the store gives it a stream and version. */
export type NewEvent<T = unknown> = Omit<Envelope<T>, "stream" | "version">;
