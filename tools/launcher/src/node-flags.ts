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
