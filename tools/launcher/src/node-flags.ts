import { fileURLToPath } from "node:url";
import type { ServiceName } from "./stack.ts";

/**
 * The node flags a service is started with, wherever the launcher starts it (`npm start`, the e2e
 * platform, the bench); deploy/k8s/base/<service>.yaml puts the same flags in its container's command
 * (keep the two in step; deploy/test/manifests.int.test.ts checks the manifests).
 *
 * poller: 10,000 jobs in flight held ~500 MiB RSS of which ~80 MiB was live. V8 sizes the young generation
 * from the machine's memory (its new space grows to 128 MiB on a 24 GiB machine), lets the old space reach
 * ~250 MiB before its first full collection, and then grows it by up to 4× what survived: the submit burst's
 * garbage became RSS that stayed. 8 MiB semi-spaces, a first full collection at 64 MiB and heap growth of 25%
 * after each keep it near what is live, for more (shorter) collections; docs/performance.md has the memory
 * and CPU measured with and without.
 */
export const serviceNodeFlags: Partial<Record<ServiceName, readonly string[]>> = {
  poller: ["--max-semi-space-size=8", "--initial-old-space-size=64", "--heap-growing-percent=25"],
};

export const nodeFlagsOf = (service: ServiceName): string[] => [...(serviceNodeFlags[service] ?? [])];

/**
 * The environment a service's process is started with besides its configuration, wherever the launcher starts it;
 * deploy/k8s/base/<service>.yaml sets the same variables (deploy/test/manifests.int.test.ts checks them).
 *
 * poller: glibc gives every thread that calls malloc an arena of its own, up to 8 per core, and keeps what was
 * freed in each: with 10,000 jobs in flight the thread arenas (node's libuv and V8 platform threads) held ~25 MiB
 * of RSS; with two arenas ~9 MiB, and the main arena ~3 MiB more (−13 MiB in all, `/proc/<pid>/smaps`). Most of
 * node's mallocs are on the main thread, so the lock the threads share costs nothing measurable.
 *
 * poller: node strips a TypeScript file's types with a WebAssembly build of swc, loaded with the first .ts file and
 * kept for the process's life (~17 MiB of RSS: its code, ~9 MiB of linear memory, ~4 MiB of heap). With a compile
 * cache every module's stripped source and V8 code come from disk once they have been compiled once, and swc is
 * never loaded. The cache is keyed by each file's contents; an edited file is compiled again.
 */
export const compileCacheDir = fileURLToPath(
  new URL("../../../node_modules/.cache/node-compile-cache", import.meta.url),
);

export const serviceNodeEnv: Partial<Record<ServiceName, Readonly<Record<string, string>>>> = {
  poller: { MALLOC_ARENA_MAX: "2", NODE_COMPILE_CACHE: compileCacheDir },
};

export const nodeEnvOf = (service: ServiceName): Record<string, string> => ({ ...serviceNodeEnv[service] });
