import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "@reelgate/contracts";
import type { FastifyRequest } from "fastify";
import type { Views } from "../views/views.ts";
import { ApiError } from "./api-error.ts";
import type { Throttles } from "./throttle.ts";

/** The key a client sent: `Authorization: Bearer <key>`, or `api-key: <key>` as Azure clients send it. */
export const presentedKey = (request: FastifyRequest): string | undefined => {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]?.trim();
  const apiKey = request.headers["api-key"];
  return bearer || (typeof apiKey === "string" ? apiKey.trim() : undefined) || undefined;
};

const unauthorized = () =>
  new ApiError(401, "Incorrect API key provided. Send it as 'Authorization: Bearer <key>'.", {
    code: "invalid_api_key",
  });

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
  const found = key ? await views.keys.getBy("sha256", sha256Hex(key)) : undefined;
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
