import { Writable } from "node:stream";
import { createLogger } from "@reelgate/service-kit";
import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it, vi } from "vitest";
import { lazyRequestLogger } from "../src/http/request-logger.ts";

/** service-kit's logger (its redaction included) writing its lines into an array, without their time. */
const capture = (level: string) => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      const { time: _time, ...line } = JSON.parse(String(chunk)) as Record<string, unknown>;
      lines.push(line);
      done();
    },
  });
  const log = createLogger("ingress", level, destination as never).child({ component: "http" });
  return { log, lines };
};
const settle = () => new Promise((done) => setImmediate(done));

describe("a request's lazy logger", () => {
  it("writes what pino's own child writes, redaction included", async () => {
    const lazy = capture("info");
    const eager = capture("info");
    const line = [
      { method: "GET", url: "/v1/videos", status: 200, headers: { authorization: "Bearer rg-x" } },
      "request",
    ] as const;
    lazyRequestLogger(lazy.log as FastifyBaseLogger, { reqId: "req_1" }, {}).info(...line);
    eager.log.child({ reqId: "req_1" }).info(...line);
    lazy.log.child({ reqId: "req_2" }).error({ err: new Error("boom") }, "request failed");
    lazyRequestLogger(eager.log as FastifyBaseLogger, { reqId: "req_2" }, {}).error(
      { err: new Error("boom") },
      "request failed",
    );
    await settle();
    expect(lazy.lines[0]).toMatchObject({ reqId: "req_1", headers: { authorization: "[redacted]" }, msg: "request" });
    expect(lazy.lines[0]).toEqual(eager.lines[0]);
    expect(lazy.lines[1]).toMatchObject({ reqId: "req_2", msg: "request failed" });
    expect((lazy.lines[1] as { err: { message: string } }).err.message).toBe("boom");
    expect((eager.lines[1] as { err: { message: string } }).err.message).toBe("boom");
  });

  it("makes no child while nothing it is asked to log is on, and one once something is", async () => {
    const { log, lines } = capture("warn");
    const child = vi.spyOn(log, "child");
    const logger = lazyRequestLogger(log as FastifyBaseLogger, { reqId: "req_1" }, {});
    logger.info({ status: 200 }, "request");
    logger.debug("nothing");
    expect(child).not.toHaveBeenCalled();
    expect(logger.level).toBe("warn");
    logger.warn("slow");
    logger.warn("slower");
    expect(child).toHaveBeenCalledTimes(1);
    await settle();
    expect(lines.map((line) => [line.reqId, line.msg])).toEqual([
      ["req_1", "slow"],
      ["req_1", "slower"],
    ]);
  });

  it("gives a route with a level of its own pino's child at once, at that level", () => {
    const { log } = capture("info");
    const logger = lazyRequestLogger(log as FastifyBaseLogger, { reqId: "req_1" }, { level: "warn" });
    expect(logger.level).toBe("warn");
  });
});
