import { describe, expect, it } from "vitest";
import { brokenStreamError, chatModelSpec, progressIn, videoLinkIn } from "../src/chat-text.ts";
import { sseData } from "../src/sse.ts";

describe("chat-sse text", () => {
  it("reads the last percentage as progress, below 100", () => {
    expect(progressIn("queued…\nGenerating 12%\nGenerating 47.5 %")).toBe(47);
    expect(progressIn("Generating 100%")).toBe(99);
    expect(progressIn("no numbers yet")).toBeUndefined();
  });

  it("finds the video link in markdown, preferring a video file", () => {
    expect(videoLinkIn("[prompt](https://x.test/p) done: [video](https://cdn.test/v.mp4?sig=1)")).toBe(
      "https://cdn.test/v.mp4?sig=1",
    );
    expect(videoLinkIn("![](https://cdn.test/abc)")).toBe("https://cdn.test/abc");
    expect(videoLinkIn("Generating 90%")).toBeUndefined();
  });

  it("maps model names onto orientation and length", () => {
    expect(chatModelSpec("sora_video2")).toEqual({ size: "704x1280", seconds: "10" });
    expect(chatModelSpec("sora_video2-landscape")).toEqual({ size: "1280x704", seconds: "10" });
    expect(chatModelSpec("sora_video2-15s")).toEqual({ size: "704x1280", seconds: "15" });
    expect(chatModelSpec("sora_video2-landscape-15s")).toEqual({ size: "1280x704", seconds: "15" });
  });

  it("says why a stream without a link failed, naming moderation when the text does", () => {
    expect(brokenStreamError("Generating 40%\nBlocked by content moderation.")).toMatchObject({
      code: "content_policy_violation",
      message: expect.stringContaining('"Blocked by content moderation."'),
    });
    expect(brokenStreamError("Generating 40%", "the connection broke").code).toBe("upstream_stream_broken");
  });

  it("splits a server-sent event stream into data, across chunk borders and CRLF", async () => {
    const parts = ['data: {"a":1}\r\n\r\nda', "ta: line1\ndata: line2\n\n: comment\n\ndata: [DONE]\n\n"];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    const data: string[] = [];
    for await (const item of sseData(body)) data.push(item);
    expect(data).toEqual(['{"a":1}', "line1\nline2", "[DONE]"]);
  });
});
