import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * What the poller's libraries load before any configuration is read: a driver for a store the service is not
 * configured for costs every process its memory (the MongoDB driver ~10 MiB of RSS and 6 MiB of heap, the AWS SDK
 * ~11 MiB and 4 MiB, heap the garbage collector marks on every full collection). Checked in a fresh node process.
 */
describe("the poller's memory footprint", () => {
  it("loads no MongoDB driver, no AWS SDK and no Google auth library on import (each is loaded when configured)", () => {
    const script = `
      import "@reelgate/runtime";
      import "@reelgate/event-store";
      import "@reelgate/documents";
      import "@reelgate/upstream";
      import "@reelgate/service-kit";
      import "@reelgate/object-storage";
      import { createRequire } from "node:module";
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({ all: loaded.length, drivers: loaded.filter((path) => /node_modules\\/(mongodb|bson|@aws-sdk|google-auth-library)\\//.test(path)) }));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: packageDir,
      encoding: "utf8",
    });
    const { all, drivers } = JSON.parse(out) as { all: number; drivers: string[] };
    // The check itself sees CommonJS modules (pino, prom-client and others are), so an empty list means something.
    expect(all).toBeGreaterThan(10);
    expect(drivers).toEqual([]);
  });

  it("started again with a compile cache (as the launcher starts it), loads no TypeScript type stripper", () => {
    // Everything the poller's main module imports, the poller's own modules included.
    const script = `
      import "@reelgate/runtime";
      import "@reelgate/service-kit";
      import "@reelgate/upstream";
      import "@reelgate/object-storage";
      import "./src/handlers/jobs.ts";
      import "./src/adapters/channel-slots.ts";
      console.log(JSON.stringify(process.moduleLoadList.filter((name) => name.includes("amaro"))));`;
    const cache = mkdtempSync(join(tmpdir(), "poller-compile-cache-"));
    try {
      const start = () =>
        JSON.parse(
          execFileSync(process.execPath, ["--input-type=module", "-e", script], {
            cwd: packageDir,
            encoding: "utf8",
            env: { ...process.env, NODE_COMPILE_CACHE: cache },
          }),
        ) as string[];
      // The first start strips every file with swc (WebAssembly, ~17 MiB of RSS for the process's life) and fills the cache.
      expect(start()).toEqual(["NativeModule internal/deps/amaro/dist/index"]);
      expect(start()).toEqual([]);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
