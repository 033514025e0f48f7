import { createHash } from "node:crypto";
import type { Collection } from "@reelgate/documents";
import { RevisionConflict } from "@reelgate/documents";
import type { FastifyRequest } from "fastify";
import type { IdempotencyRecord } from "../views/views.ts";
import { ApiError } from "./api-error.ts";

const WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * A `pending` record older than this belongs to an attempt that died (a crash between the append and
 * the answer): the next request with the key takes it over. Longer than any create can take.
 */
export const PENDING_LEASE_MS = 60_000;
const HEADER = "idempotency-key";

const hash = (value: string) => createHash("sha256").update(value).digest("hex");

/**
 * `Idempotency-Key` on creates: the same key and body within 24 h answers with the first response
 * and creates nothing new; the same key with another body is a 409. Keys are per account. The video
 * id is derived from the key, so an attempt that takes over from one that died mid-way finds the
 * video that one may have recorded instead of making a second.
 */
export const idempotency = (records: Collection<IdempotencyRecord>, now: () => number) => {
  const inProgress = () =>
    new ApiError(409, "A request with this Idempotency-Key is still in progress; retry when it is done.", {
      code: "idempotency_key_in_use",
    });

  return {
    async once<T>(
      request: FastifyRequest,
      requestContent: unknown,
      run: (videoId: string | undefined) => Promise<T>,
    ): Promise<T> {
      const key = request.headers[HEADER];
      if (typeof key !== "string" || key.length === 0) return run(undefined);
      if (key.length > 255)
        throw new ApiError(400, "Idempotency-Key is longer than 255 characters.", { code: "invalid_idempotency_key" });
      const id = hash(`${request.accountId}\u0000${request.routeOptions.url}\u0000${key}`);
      const fingerprint = hash(JSON.stringify(requestContent));
      const existing = await records.get(id);
      if (existing && now() - existing.doc.createdAt < WINDOW_MS) {
        if (existing.doc.fingerprint !== fingerprint) {
          throw new ApiError(409, "This Idempotency-Key was used with a different request.", {
            code: "idempotency_key_reused",
          });
        }
        if (existing.doc.state === "done") return existing.doc.response as T;
        if (now() - existing.doc.createdAt < PENDING_LEASE_MS) throw inProgress();
      }
      let rev: number;
      try {
        rev = await records.put(
          { id, fingerprint, createdAt: now(), state: "pending", response: null },
          existing?.rev ?? null,
        );
      } catch (error) {
        if (error instanceof RevisionConflict) throw inProgress();
        throw error;
      }
      try {
        const response = await run(`video_${id.slice(0, 32)}`);
        await records.put({ id, fingerprint, createdAt: now(), state: "done", response }, rev);
        return response;
      } catch (error) {
        // A refused request may be retried with the same key.
        await records.delete(id);
        throw error;
      }
    },
  };
};

export type Idempotency = ReturnType<typeof idempotency>;
