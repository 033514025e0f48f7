import { describe, expect, it } from "vitest";
import { allowedSeconds, extensionSeconds, priceOf, pricingFileSchema } from "../src/index.ts";

const file = {
  models: [
    { model: "sora-2", seconds: [4, "8"], sizes: ["720x1280"], usd_per_second: "0.12" },
    { model: "sora-2", seconds: [4, 8], sizes: ["1280x720"], usd_per_second: 0.2, usd_per_request: "0.05" },
    { model: "clip", seconds: ["10"], sizes: ["704x1280"], usd_per_request: "0.333333" },
  ],
  account_multipliers: { acct_vip: 0.8, acct_third: 1 / 3 },
};

describe("pricing file", () => {
  it("becomes a catalog in micro-USD, per second, per request or both", () => {
    const catalog = pricingFileSchema.parse(file);
    expect(priceOf({ model: "sora-2", seconds: "8", size: "720x1280" }, catalog)).toBe(960_000);
    expect(priceOf({ model: "sora-2", seconds: "4", size: "1280x720" }, catalog)).toBe(850_000);
    expect(priceOf({ model: "clip", seconds: "10", size: "704x1280" }, catalog)).toBe(333_333);
    expect(allowedSeconds(catalog, "sora-2")).toEqual(["4", "8"]);
    expect(priceOf({ model: "sora-2-pro", seconds: "4", size: "720x1280" }, catalog)).toBeUndefined();
  });

  it("takes extension_seconds: what an extension may add, at the offer's rate (empty: not extendable)", () => {
    const catalog = pricingFileSchema.parse({
      models: [
        { model: "veo", seconds: [8], sizes: ["1280x720"], usd_per_second: "0.40", extension_seconds: [7] },
        { model: "veo", seconds: [8], sizes: ["1920x1080"], usd_per_second: "0.40", extension_seconds: [] },
      ],
    });
    expect(extensionSeconds(catalog, "veo", "1280x720")).toEqual(["7"]);
    expect(extensionSeconds(catalog, "veo", "1920x1080")).toEqual([]);
    const added = { model: "veo", seconds: "7", size: "1280x720" };
    expect(priceOf(added, catalog, undefined, { extension: true })).toBe(2_800_000);
    expect(priceOf(added, catalog)).toBeUndefined();
  });

  it("applies an account's multiplier, rounded once to the micro-dollar; others pay the list price", () => {
    const catalog = pricingFileSchema.parse(file);
    const spec = { model: "sora-2", seconds: "8", size: "720x1280" };
    expect(priceOf(spec, catalog, "acct_vip")).toBe(768_000);
    expect(priceOf(spec, catalog, "acct_third")).toBe(320_000);
    expect(priceOf({ model: "clip", seconds: "10", size: "704x1280" }, catalog, "acct_third")).toBe(111_111);
    expect(priceOf(spec, catalog, "acct_other")).toBe(960_000);
  });

  it.each([
    [{ ...file, models: [{ ...file.models[0], usd_per_second: "0.1234567" }] }, "models.0.usd_per_second"],
    [{ ...file, models: [{ ...file.models[0], usd_per_second: undefined }] }, "models.0"],
    [{ ...file, models: [{ ...file.models[0], sizes: ["720p"] }] }, "models.0.sizes.0"],
    [{ ...file, models: [{ ...file.models[0], seconds: [] }] }, "models.0.seconds"],
    [{ ...file, models: [file.models[0], file.models[0]] }, "models.1"],
    [{ ...file, account_multipliers: { acct_vip: -1 } }, "account_multipliers.acct_vip"],
    [{ ...file, surprise: true }, ""],
    [{ models: [] }, "models"],
  ])("refuses a bad file, naming the field (%#)", (content, path) => {
    const result = pricingFileSchema.safeParse(content);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain(path);
  });
});
