import { JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { isNatsStarting } from "../src/nats-start.ts";

const apiError = (status: number, errCode: number, description: string) =>
  new JetStreamApiError({ code: status, err_code: errCode, description });
const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe("which NATS errors a start waits out", () => {
  it.each([
    ["a refused connection", new errors.ConnectionError("connection refused")],
    ["a socket reset", socketError("ECONNRESET")],
    ["a name not yet in DNS", socketError("ENOTFOUND")],
    ["a request timeout", new errors.TimeoutError()],
    ["no responders", new errors.NoRespondersError("$JS.API.INFO")],
    ["JetStream temporarily unavailable (503)", apiError(503, 10008, "JetStream system temporarily unavailable")],
  ])("waits out %s", (_what, error) => expect(isNatsStarting(error)).toBe(true));

  it.each([
    ["refused credentials", new errors.AuthorizationError("Authorization Violation")],
    ["a malformed URL", new TypeError("Invalid URL")],
    ["JetStream not enabled for the account", apiError(503, 10039, "jetstream not enabled for account")],
    ["a stream name taken by other settings", apiError(400, 10058, "stream name already in use")],
    ["a closed connection", new errors.ClosedConnectionError()],
    ["anything else", new Error("boom")],
  ])("fails at once on %s", (_what, error) => expect(isNatsStarting(error)).toBe(false));
});
