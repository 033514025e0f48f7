import { describe, expect, it } from "vitest";
import { mp4Bytes, mp4SecondsOf, mp4Stream } from "../../src/media/mp4.ts";

describe("mp4SecondsOf", () => {
  it("reads back the seconds the movie header states, for small and padded videos", async () => {
    for (const seconds of [1, 4, 12]) expect(mp4SecondsOf(mp4Bytes("sim_a", { seconds }))).toBe(seconds);
    const chunks: Buffer[] = [];
    for await (const chunk of mp4Stream("sim_b", 64 * 1024, { seconds: 8 })) chunks.push(chunk as Buffer);
    expect(mp4SecondsOf(Buffer.concat(chunks))).toBe(8);
  });

  it("says nothing of bytes that hold no movie header, or a cut one", () => {
    expect(mp4SecondsOf(Buffer.from("not a video"))).toBeUndefined();
    const whole = mp4Bytes("sim_c", { seconds: 4 });
    expect(mp4SecondsOf(whole.subarray(0, whole.indexOf("mvhd", 0, "latin1") + 10))).toBeUndefined();
  });
});
