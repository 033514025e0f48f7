import { describe, expect, it } from "vitest";
import { chatStreamScanner, scrubUpstreamText, truncate, upstreamLimits } from "../src/index.ts";
import { sseData } from "../src/sse.ts";

const streamOf = (...pieces: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(new TextEncoder().encode(piece));
      controller.close();
    },
  });
const all = async (events: AsyncGenerator<string>) => {
  const seen: string[] = [];
  for await (const event of events) seen.push(event);
  return seen;
};

describe("sseData", () => {
  it("reads events split anywhere, CRLF too", async () => {
    expect(await all(sseData(streamOf("data: a\r\n\r", "\ndata: b\ndata:", " c\n\n", "data: d")))).toEqual([
      "a",
      "b\nc",
      "d",
    ]);
  });

  it("ends with an error on an event over the cap instead of buffering it", async () => {
    const huge = `data: ${"x".repeat(3000)}`;
    await expect(all(sseData(streamOf(huge.slice(0, 1500), huge.slice(1500)), 2048))).rejects.toThrow(/over 2048/);
  });

  it("reads a 4 MiB line in linear time", async () => {
    const pieces = Array.from({ length: 4096 }, () => "y".repeat(1024));
    const started = performance.now();
    await expect(all(sseData(streamOf("data: ", ...pieces)))).rejects.toThrow(/over/);
    // Quadratic re-scanning of a 4 MiB buffer would take minutes; linear takes milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("chatStreamScanner", () => {
  it("finds a link split over many pieces, preferring a video file, and the last percentage", () => {
    const scanner = chatStreamScanner();
    for (const piece of [
      "Generating 1",
      "0% ... 4",
      "2%\n[see](https://x.test/page) [Down",
      "load](https://cdn.te",
      "st/v.mp4?sig=1)",
    ])
      scanner.push(piece);
    expect(scanner.link()).toBe("https://cdn.test/v.mp4?sig=1");
    expect(scanner.progress()).toBe(42);
  });

  it("keeps a bounded tail of a long stream", () => {
    const scanner = chatStreamScanner();
    for (let i = 0; i < 2000; i++) scanner.push(`line ${i} ${"z".repeat(100)}\n`);
    expect(scanner.tail().length).toBeLessThanOrEqual(4096);
    expect(scanner.tail()).toContain("line 1999");
    expect(scanner.link()).toBeUndefined();
  });
});

describe("upstream text", () => {
  it("scrubs the key, the base URL and host, the upstream id and credential shapes, and truncates", () => {
    const text = `Incorrect API key provided: sk-live-abcdefghijklmnop at https://relay.example:8443/v1 for video sim_123456 (Bearer tok_abcdefghijkl) ${"w".repeat(10_000)}`;
    const scrubbed = scrubUpstreamText(text, {
      secrets: ["sk-live-abcdefghijklmnop"],
      baseUrl: "https://relay.example:8443/v1",
      ids: ["sim_123456"],
    });
    expect(scrubbed).not.toMatch(/sk-live|relay\.example|sim_123456|tok_abc/);
    expect(scrubbed).toMatch(/^Incorrect API key provided: \[redacted\] at \[upstream\] for video \[upstream id\]/);
    expect(scrubbed.length).toBeLessThanOrEqual(upstreamLimits.messageChars);
  });

  it("truncates without splitting a surrogate pair", () => {
    const cut = truncate("😀".repeat(10), 6);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(6);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
