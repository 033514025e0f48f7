/** Names of the unique indexes the MongoDB store creates; the conflict mapping keys on them. */
export const STREAM_SEQ_INDEX = "streamId_seq";

/**
 * What a duplicate-key error (11000) collided on: the stream's next commit slot (a concurrent
 * append won: a conflict) or anything else (commitId, an event id: possibly a repeated append).
 */
export const duplicateKeyOf = (error: unknown): "streamSeq" | "other" | undefined => {
  if (typeof error !== "object" || error === null || (error as { code?: unknown }).code !== 11000) return undefined;
  const { keyPattern, message } = error as { keyPattern?: Record<string, unknown>; message?: unknown };
  // keyPattern comes from the server since 4.2; the index name in the message covers older ones.
  if (keyPattern && typeof keyPattern === "object") return "seq" in keyPattern ? "streamSeq" : "other";
  return typeof message === "string" && message.includes(`index: ${STREAM_SEQ_INDEX} `) ? "streamSeq" : "other";
};
