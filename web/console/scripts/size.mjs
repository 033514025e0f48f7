// Prints the console's JavaScript size, raw and gzip, after a build (the figure the README reports).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dir = new URL("../dist/assets/", import.meta.url).pathname;
let raw = 0;
let gzip = 0;
for (const name of readdirSync(dir).filter((file) => file.endsWith(".js"))) {
  const bytes = readFileSync(join(dir, name));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
console.log(`console JavaScript: ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzip`);
