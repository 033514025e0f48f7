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
  return `req_${crypto.randomUUID().replaceAll("-", "")}`;
};
