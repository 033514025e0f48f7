import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, dataDirSecret, loadConfig } from "../src/index.ts";

const strong = "q8Vd3LmX0rTz7Kp2Wn5Yb9Hc4Jf6Gs1A";

describe("REELGATE_ADMIN_TOKEN and REELGATE_SIGNING_SECRET", () => {
  it.each([
    ["REELGATE_ADMIN_TOKEN", "replace-me-admin-token", /REELGATE_ADMIN_TOKEN: is a placeholder/],
    ["REELGATE_SIGNING_SECRET", "replace-me-signing-secret", /REELGATE_SIGNING_SECRET: is a placeholder/],
    ["REELGATE_ADMIN_TOKEN", "changeme", /REELGATE_ADMIN_TOKEN: is a placeholder/],
    [
      "REELGATE_SIGNING_SECRET",
      "CHANGE_ME_PLEASE_TO_SOMETHING_LONG_AND_RANDOM",
      /REELGATE_SIGNING_SECRET: is a placeholder/,
    ],
    ["REELGATE_ADMIN_TOKEN", "<your admin token>", /REELGATE_ADMIN_TOKEN: is a placeholder/],
    ["REELGATE_ADMIN_TOKEN", "s3cr3t-but-short", /REELGATE_ADMIN_TOKEN: is 16 characters long; it must be at least 32/],
    ["REELGATE_SIGNING_SECRET", "ab".repeat(20), /REELGATE_SIGNING_SECRET: has fewer than 8 distinct characters/],
  ])("refuses %s=%s, naming the variable", (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(message);
  });

  it("takes a random value of at least 32 characters, and leaves them unset when not given", () => {
    const config = loadConfig({ REELGATE_ADMIN_TOKEN: strong, REELGATE_SIGNING_SECRET: `${strong}x` });
    expect(config.REELGATE_ADMIN_TOKEN).toBe(strong);
    expect(config.REELGATE_SIGNING_SECRET).toBe(`${strong}x`);
    expect(loadConfig({}).REELGATE_ADMIN_TOKEN).toBeUndefined();
  });

  it("generates a secret once under the data dir, readable by its owner only, and keeps it", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "reelgate-secrets-"));
    const first = dataDirSecret(dataDir, "admin-token");
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(dataDirSecret(dataDir, "admin-token")).toBe(first);
    expect(dataDirSecret(dataDir, "signing-secret")).not.toBe(first);
    const file = join(dataDir, "secrets", "admin-token");
    expect(readFileSync(file, "utf8").trim()).toBe(first);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it("stops a service at start with a message naming the variable", () => {
    const dir = mkdtempSync(join(tmpdir(), "reelgate-secrets-"));
    const ingress = join(import.meta.dirname, "../../../services/ingress/src/main.ts");
    const run = spawnSync(process.execPath, [ingress], {
      env: {
        ...process.env,
        REELGATE_ADMIN_TOKEN: "replace-me-admin-token",
        REELGATE_DATA_DIR: dir,
        PORT: "0",
        NATS_URL: "nats://127.0.0.1:1",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/REELGATE_ADMIN_TOKEN: is a placeholder/);
  });
});
