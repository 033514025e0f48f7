import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";

const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
};

describe("logger", () => {
  it("redacts secrets by name at any depth, and keeps everything else", () => {
    const { lines, stream } = capture();
    const log = createLogger("test", "info", stream);
    log.info(
      {
        authorization: "Bearer top-1",
        req: { headers: { authorization: "Bearer top-2", "x-goog-api-key": "AIza-3", "api-key": "az-4", host: "h" } },
        channel: { id: "main", api_key: "sk-5", api_secret: "sec-6" },
        config: { REELGATE_ADMIN_TOKEN: "adm-7", S3_SECRET_ACCESS_KEY: "s3-8" },
      },
      "a line",
    );
    const line = lines.join("");
    for (const secret of ["top-1", "top-2", "AIza-3", "az-4", "sk-5", "sec-6", "adm-7", "s3-8"])
      expect(line).not.toContain(secret);
    const parsed = JSON.parse(line);
    expect(parsed.req.headers.host).toBe("h");
    expect(parsed.channel.id).toBe("main");
    expect(parsed.req.headers.authorization).toBe("[redacted]");
  });
});
