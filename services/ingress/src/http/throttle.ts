import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "./api-error.ts";

/** Requests per minute, each counted by one ingress (see docs/security.md for several replicas). */
export interface RateLimits {
  /** Per valid API key. */
  perKeyPerMinute: number;
  /** Failed authentications (API key or admin token) per client address; beyond, 429 instead of 401. */
  authFailuresPerMinute: number;
  /** Admin API requests per client address. */
  adminPerMinute: number;
  /** `/media/…` signed-URL requests per client address. */
  mediaPerMinute: number;
  /** Ingress replicas sharing the traffic: each counts its share of every limit (limit ÷ replicas, rounded up). */
  replicas?: number;
}

export const rateLimitDefaults = {
  perKeyPerMinute: 3000,
  authFailuresPerMinute: 60,
  adminPerMinute: 1200,
  mediaPerMinute: 6000,
} as const;

type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;

const WINDOW_MS = 60_000;
/** Buckets kept per limiter (least recently used go first): far more clients than one ingress sees in a minute. */
const BUCKETS = 100_000;

const tooMany = (message: string, retryAfterSeconds: number) =>
  new ApiError(429, `${message} Retry after ${retryAfterSeconds} s.`, {
    code: "rate_limit_exceeded",
    type: "requests",
    headers: { "retry-after": String(retryAfterSeconds) },
  });

/**
 * The rate limits of the public port, counted by @fastify/rate-limit's in-memory store. Each check counts the
 * request in its bucket and throws a 429 in OpenAI's shape, with `Retry-After`, beyond the limit.
 */
export const registerThrottles = async (app: FastifyInstance, limits: RateLimits) => {
  // No route is limited by the plugin itself: the checks below run where the API decides (auth, admin, media).
  await app.register(rateLimit, { global: false });
  const share = (perMinute: number) => Math.max(1, Math.ceil(perMinute / Math.max(1, limits.replicas ?? 1)));
  const limiter = (perMinute: number, bucket: (request: FastifyRequest) => string): Limiter =>
    app.createRateLimit({
      max: share(perMinute),
      timeWindow: WINDOW_MS,
      keyGenerator: bucket,
      cache: BUCKETS,
    } as Parameters<FastifyInstance["createRateLimit"]>[0]);
  const check = async (limit: Limiter, request: FastifyRequest, message: (max: number) => string) => {
    const result = await limit(request);
    if (!result.isAllowed && result.isExceeded) throw tooMany(message(result.max), Math.max(1, result.ttlInSeconds));
  };

  const apiKey = limiter(limits.perKeyPerMinute, (request) => `key:${request.apiKeyId}`);
  const authFailures = limiter(limits.authFailuresPerMinute, (request) => `address:${request.ip}`);
  const admin = limiter(limits.adminPerMinute, (request) => `address:${request.ip}`);
  const media = limiter(limits.mediaPerMinute, (request) => `address:${request.ip}`);

  return {
    /** A request with a valid key: counted in its key's bucket. */
    apiKey: (request: FastifyRequest) =>
      check(apiKey, request, (max) => `Rate limit reached: ${max} requests per minute for this API key.`),
    /**
     * A failed authentication: counted in its address's bucket, so made-up keys (each a bucket of its own if
     * counted by key) run out together. Requests with a valid key from the same address are not held back.
     */
    authFailure: (request: FastifyRequest) =>
      check(
        authFailures,
        request,
        (max) => `Too many failed authentications from this address: at most ${max} per minute.`,
      ),
    admin: (request: FastifyRequest) =>
      check(admin, request, (max) => `Rate limit reached: ${max} admin requests per minute from this address.`),
    media: (request: FastifyRequest) =>
      check(media, request, (max) => `Rate limit reached: ${max} media requests per minute from this address.`),
  };
};

export type Throttles = Awaited<ReturnType<typeof registerThrottles>>;
