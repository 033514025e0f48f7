import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { requestIdOf } from "../src/http/request-id.ts";

const request = (headers: IncomingMessage["headers"]) => ({ headers }) as IncomingMessage;

describe("request ids", () => {
  it("mints req_ and the 32 hex digits of a random (v4) UUID, a new one each time", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = requestIdOf(request({}));
      expect(id).toMatch(/^req_[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
  });

  it("adopts a client's plain id, and mints one for anything else", () => {
    expect(requestIdOf(request({ "x-request-id": "req_mine-1.2" }))).toBe("req_mine-1.2");
    expect(requestIdOf(request({ "x-request-id": "has space" }))).toMatch(/^req_[0-9a-f]{32}$/);
    expect(requestIdOf(request({ "x-request-id": "x".repeat(129) }))).toMatch(/^req_[0-9a-f]{32}$/);
  });
});
