import type { JsMsg } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { retryAfter, runHandler } from "../src/handle-message.ts";
import { jobProgressed, silentLog } from "./fixtures.ts";

const message = (body: string) =>
  ({ string: () => body, info: { deliveryCount: 1, streamSequence: 7 }, working: () => {} }) as unknown as JsMsg;

describe("runHandler", () => {
  it("rounds a retry delay up to whole milliseconds (NATS redelivers at once on a fractional nak delay)", async () => {
    const body = JSON.stringify(jobProgressed("video_round", 1));
    expect(await runHandler(message(body), async () => retryAfter(0.2), silentLog)).toEqual({
      kind: "retry",
      delayMs: 1,
    });
    expect(await runHandler(message(body), async () => retryAfter(250), silentLog)).toEqual({
      kind: "retry",
      delayMs: 250,
    });
    expect(await runHandler(message(body), async () => retryAfter(-5), silentLog)).toEqual({
      kind: "retry",
      delayMs: 0,
    });
  });

  it("acks a handler that returns nothing", async () => {
    const body = JSON.stringify(jobProgressed("video_ack", 1));
    expect(await runHandler(message(body), async () => {}, silentLog)).toEqual({ kind: "ack" });
  });
});
