import { randomFillSync } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** A client's id is adopted only when it is short and plain: it goes into logs and a response header verbatim. */
const PLAIN_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The request's id: the client's `x-request-id` when it is at most 128 characters of `[A-Za-z0-9._-]`,
 * otherwise (absent, repeated, long, or carrying anything else) one minted here.
 */
export const requestIdOf = (request: IncomingMessage): string => {
  const given = request.headers["x-request-id"];
  if (typeof given === "string" && PLAIN_ID.test(given)) return given;
  return `req_${randomHex()}`;
};

/**
 * The 32 hex digits of a random (v4) UUID, from a pool of 256 filled at a time (RFC 9562 §5.4: 122 random bits,
 * the version and variant bits set): one flat string per id, where cutting the dashes out of a `randomUUID`
 * built six pieces for the header write to join (0.9 → 0.35 µs).
 */
const pool = Buffer.alloc(16 * 256);
let taken = pool.length;
const randomHex = () => {
  if (taken === pool.length) {
    randomFillSync(pool);
    for (let at = 0; at < pool.length; at += 16) {
      pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40;
      pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
    }
    taken = 0;
  }
  taken += 16;
  return pool.toString("hex", taken - 16, taken);
};
