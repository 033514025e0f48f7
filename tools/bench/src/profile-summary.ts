import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Where a `--cpu-prof` file's time went: self time by package or workspace (node_modules/<pkg>,
 * libs/<lib>, services/<service>, node internals, GC, idle) and the functions with the most self time.
 * `node tools/bench/src/profile-summary.ts <dir or file>`.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const areaOf = (url: string, name: string) => {
  if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") return name;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  const workspace = /\/(libs|services|tools)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith("node:") || url === "") return "node (internals, native)";
  return url;
};

export const summarize = (file: string, top = 12) => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (const [index, id] of profile.samples.entries())
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    if (area === "(idle)") continue;
    busy += micros;
    const key = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules|libs|services|tools)\//, "$1/")}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
  }
  const pct = (micros: number) => `${((micros / Math.max(1, busy)) * 100).toFixed(1).padStart(5)}%`;
  console.log(`\n${file}: ${(busy / 1e6).toFixed(1)} s busy`);
  console.log("  by area (share of busy time):");
  for (const [area, micros] of [...areas]
    .filter(([a]) => a !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`    ${pct(micros)}  ${area}`);
  console.log("  top functions (self time):");
  for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`    ${pct(micros)}  ${name}`);
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2] ?? ".profiles";
  const files = target.endsWith(".cpuprofile")
    ? [target]
    : readdirSync(target, { recursive: true })
        .map(String)
        .filter((name) => name.endsWith(".cpuprofile"))
        .map((name) => join(target, name));
  for (const file of files) summarize(file);
}
