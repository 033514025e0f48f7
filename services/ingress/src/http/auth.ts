import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "@reelgate/contracts";
import type { FastifyRequest } from "fastify";
import type { Views } from "../views/views.ts";
import { ApiError } from "./api-error.ts";
import type { Throttles } from "./throttle.ts";

const BEARER = /^Bearer\s+(.+)$/i;
/**
 * The key of `Authorization: Bearer <key>`, trimmed. The form every SDK sends, "Bearer " exactly, is cut
 * without the regular expression: what follows it, trimmed, is what the expression's group gives trimmed
 * (trim drops the same white space `\s` matches, and a header holds no line break).
 */
const bearerOf = (header: string | undefined) =>
  header?.startsWith("Bearer ") ? header.slice(7).trim() : BEARER.exec(header ?? "")?.[1]?.trim();

/** The key a client sent: `Authorization: Bearer <key>`, or `api-key: <key>` as Azure clients send it. */
export const presentedKey = (request: FastifyRequest): string | undefined => {
  const bearer = bearerOf(request.headers.authorization);
  const apiKey = request.headers["api-key"];
  return bearer || (typeof apiKey === "string" ? apiKey.trim() : undefined) || undefined;
};

const unauthorized = () =>
  new ApiError(401, "Incorrect API key provided. Send it as 'Authorization: Bearer <key>'.", {
    code: "invalid_api_key",
  });

/**
 * The hashes of keys that named a key document, by the key presented: a key's hash is a pure function of it, so
 * only the sha256 is saved (~3% of a GET). The key's document is still read on every request (revocation holds
 * at once). Only keys found are kept, so made-up keys cannot push real ones out; the oldest goes first.
 */
const knownHashes = new Map<string, string>();
const KNOWN_HASHES = 10_000;
const hashOf = (key: string) => knownHashes.get(key) ?? sha256Hex(key);
const rememberHash = (key: string, hash: string) => {
  if (knownHashes.has(key)) return;
  if (knownHashes.size >= KNOWN_HASHES) knownHashes.delete(knownHashes.keys().next().value as string);
  knownHashes.set(key, hash);
};

/**
 * The account and key id of the request's API key; 401 for a missing, unknown or revoked key, after
 * `onFailure` (which counts the failure, and throws the 429 once there were too many).
 */
export const authenticate = async (
  request: FastifyRequest,
  views: Views,
  onFailure: () => Promise<void> = async () => {},
): Promise<{ accountId: string; keyId: string }> => {
  const key = presentedKey(request);
  // One point read per request, from the views' exact read cache (libs/documents): a revocation holds at
  // once, on every replica, since the cache drops what another connection committed before the read.
  // A key's hash names one key (keys are random), so the key found is the key presented.
  const hash = key && hashOf(key);
  const found = key && hash ? await views.keys.getBy("sha256", hash) : undefined;
  if (key && hash && found) rememberHash(key, hash);
  if (!found || found.revoked) {
    await onFailure();
    throw unauthorized();
  }
  return { accountId: found.accountId, keyId: found.id };
};

const sameSecret = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

export const authenticateAdmin = async (
  request: FastifyRequest,
  adminToken: string,
  onFailure: () => Promise<void> = async () => {},
) => {
  const token = presentedKey(request);
  if (!token || !sameSecret(token, adminToken)) {
    await onFailure();
    throw new ApiError(401, "The admin API needs 'Authorization: Bearer <REELGATE_ADMIN_TOKEN>'.", {
      code: "invalid_admin_token",
    });
  }
};

/**
 * The one gate of every admin route: each request counts against its address, and a wrong token also counts
 * as a failed authentication.
 */
export const adminGuard =
  (adminToken: string, throttles: Pick<Throttles, "admin" | "authFailure">) => async (request: FastifyRequest) => {
    await throttles.admin(request);
    await authenticateAdmin(request, adminToken, () => throttles.authFailure(request));
  };
export type AdminGuard = ReturnType<typeof adminGuard>;
