import { describe, expect, it } from "vitest";
import { keyedQueue } from "../src/keyed-queue.ts";

describe("keyedQueue", () => {
  it("runs one key's tasks one at a time in order, and other keys alongside", async () => {
    const serially = keyedQueue();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = serially("a", async () => {
      log.push("a1 start");
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      log.push("a1 end");
    });
    const second = serially("a", async () => log.push("a2"));
    const other = serially("b", async () => log.push("b1"));
    await other;
    expect(log).toEqual(["a1 start", "b1"]);
    releaseFirst();
    await Promise.all([first, second]);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
  });

  it("goes on with the next task after one fails", async () => {
    const serially = keyedQueue();
    const failed = serially("a", async () => {
      throw new Error("boom");
    });
    await expect(failed).rejects.toThrow("boom");
    await expect(serially("a", async () => "next")).resolves.toBe("next");
  });
});
