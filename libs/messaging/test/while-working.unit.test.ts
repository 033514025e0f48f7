import { afterEach, describe, expect, it, vi } from "vitest";
import { whileWorking } from "../src/while-working.ts";

describe("whileWorking", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("says it is working every interval while the work runs, and stops once it ends", async () => {
    vi.useFakeTimers();
    const working = vi.fn();
    let finish: (value: string) => void = () => {};
    const done = whileWorking(working, 1_000, () => new Promise<string>((resolve) => (finish = resolve)));
    await vi.advanceTimersByTimeAsync(3_500);
    expect(working).toHaveBeenCalledTimes(3);
    finish("copied");
    expect(await done).toBe("copied");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(working).toHaveBeenCalledTimes(3);
  });

  it("stops when the work fails, and passes the failure on", async () => {
    vi.useFakeTimers();
    const working = vi.fn();
    await expect(whileWorking(working, 1_000, async () => Promise.reject(new Error("broken")))).rejects.toThrow(
      "broken",
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(working).not.toHaveBeenCalled();
  });
});
