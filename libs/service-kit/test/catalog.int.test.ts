import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtInCatalog, priceOf } from "@reelgate/contracts";
import { describe, expect, it } from "vitest";
import { ConfigError, loadCatalog } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "reelgate-pricing-"));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const spec = { model: "sora-2", seconds: "4", size: "720x1280" };

describe("loadCatalog", () => {
  it("uses SPEC.md §3's catalog when no pricing file is set", () => {
    expect(loadCatalog({ REELGATE_PRICING_FILE: undefined })).toBe(builtInCatalog);
  });

  it("reads a YAML or a JSON pricing file", () => {
    const yaml = write(
      "pricing.yaml",
      `models:\n  - model: sora-2\n    seconds: [4]\n    sizes: [720x1280]\n    usd_per_second: "0.25"\naccount_multipliers:\n  acct_1: 2\n`,
    );
    const json = write(
      "pricing.json",
      JSON.stringify({ models: [{ model: "sora-2", seconds: [4], sizes: ["720x1280"], usd_per_request: "1" }] }),
    );
    expect(priceOf(spec, loadCatalog({ REELGATE_PRICING_FILE: yaml }), "acct_1")).toBe(2_000_000);
    expect(priceOf(spec, loadCatalog({ REELGATE_PRICING_FILE: json }))).toBe(1_000_000);
  });

  it("names the file and the field of a bad file", () => {
    const bad = write(
      "bad.yaml",
      `models:\n  - model: sora-2\n    seconds: [4]\n    sizes: [720x1280]\n    usd_per_second: cheap\n`,
    );
    expect(() => loadCatalog({ REELGATE_PRICING_FILE: bad })).toThrow(ConfigError);
    expect(() => loadCatalog({ REELGATE_PRICING_FILE: bad })).toThrow(/bad\.yaml:\n {2}models\.0\.usd_per_second: /);
    expect(() => loadCatalog({ REELGATE_PRICING_FILE: join(dir, "missing.json") })).toThrow(/missing\.json: ENOENT/);
  });

  it("stops a service at start with that message", () => {
    const bad = write("stop.json", JSON.stringify({ models: [{ model: "x", seconds: [4], sizes: ["1x1"] }] }));
    const billing = join(import.meta.dirname, "../../../services/billing/src/main.ts");
    const run = spawnSync(process.execPath, [billing], {
      env: { ...process.env, REELGATE_PRICING_FILE: bad, REELGATE_DATA_DIR: dir, PORT: "0" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/stop\.json:.*models\.0: give usd_per_second, usd_per_request or both/s);
  });
});
