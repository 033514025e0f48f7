import { createHash, randomUUID } from "node:crypto";
import type { Collection } from "@reelgate/documents";
import { RevisionConflict } from "@reelgate/documents";
import type { FastifyRequest } from "fastify";
import type { IdempotencyRecord } from "../views/views.ts";
import { ApiError } from "./api-error.ts";

const WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * How long a `pending` record stays its holder's without a renewal. The holder renews it every third of
 * this while its request runs, so only a holder that died (or froze) lets it run out; then the next
 * request with the key takes over, within this long of the crash.
 */
export const PENDING_LEASE_MS = 5_000;
const HEADER = "idempotency-key";

const hash = (value: string) => createHash("sha256").update(value).digest("hex");

/** The lease a pending record names; records written before leases were kept run out 60 s after they began. */
const leaseEnd = (record: IdempotencyRecord) => record.leaseUntil ?? record.createdAt + 60_000;

export interface IdempotencyOptions {
  leaseMs?: number;
  /** Names this process in the records it holds (a fresh one per process start). */
  instanceId?: string;
}

/**
 * `Idempotency-Key` on creates: the same key and body within 24 h answers with the first response
 * and creates nothing new; the same key with another body is a 409. Keys are per account. The video
 * id is derived from the key, so an attempt that takes over from one that died mid-way finds the
 * video that one may have recorded instead of making a second.
 */
export const idempotency = (
  records: Collection<IdempotencyRecord>,
  now: () => number,
  { leaseMs = PENDING_LEASE_MS, instanceId = randomUUID() }: IdempotencyOptions = {},
) => {
  const inProgress = () =>
    new ApiError(409, "A request with this Idempotency-Key is still in progress; retry when it is done.", {
      code: "idempotency_key_in_use",
    });

  /**
   * Holds a pending record for one attempt: renews its lease in the background and writes its end.
   * Every write is a compare-and-set on the revision this attempt last wrote, so an attempt that was
   * taken over (it froze past its lease) neither renews nor overwrites nor deletes the new holder's record.
   */
  const hold = (record: IdempotencyRecord, rev: number) => {
    let current = { record, rev };
    let lost = false;
    let writes = Promise.resolve();
    const write = (next: IdempotencyRecord | null) => {
      // A failed renewal (the store away for a moment) must not stop the writes after it.
      writes = writes
        .catch(() => undefined)
        .then(async () => {
          if (lost) return;
          try {
            if (next) current = { record: next, rev: await records.put(next, current.rev) };
            else if ((await records.get(record.id))?.rev === current.rev) await records.delete(record.id);
          } catch (error) {
            if (!(error instanceof RevisionConflict)) throw error;
            lost = true;
          }
        });
      return writes;
    };
    const renewal = setInterval(
      () => void write({ ...current.record, leaseUntil: now() + leaseMs }).catch(() => undefined),
      leaseMs / 3,
    );
    renewal.unref();
    return {
      async done(response: unknown) {
        clearInterval(renewal);
        const { holder: _holder, leaseUntil: _leaseUntil, ...record } = current.record;
        await write({ ...record, state: "done", response });
      },
      async release() {
        clearInterval(renewal);
        await write(null);
      },
    };
  };

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
        // A live holder renews its lease; one that ran out died (or froze) mid-request: take over.
        if (now() < leaseEnd(existing.doc)) throw inProgress();
      }
      const pending: IdempotencyRecord = {
        id,
        fingerprint,
        createdAt: now(),
        state: "pending",
        response: null,
        holder: `${instanceId}/${randomUUID()}`,
        leaseUntil: now() + leaseMs,
      };
      let rev: number;
      try {
        rev = await records.put(pending, existing?.rev ?? null);
      } catch (error) {
        if (error instanceof RevisionConflict) throw inProgress();
        throw error;
      }
      const held = hold(pending, rev);
      let response: T;
      try {
        response = await run(`video_${id.slice(0, 32)}`);
      } catch (error) {
        // A refused request may be retried with the same key.
        await held.release();
        throw error;
      }
      await held.done(response);
      return response;
    },
  };
};

export type Idempotency = ReturnType<typeof idempotency>;
