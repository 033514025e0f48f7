import type { ServiceName } from "./stack.ts";

/**
 * The node flags a service is started with, wherever the launcher starts it (`npm start`, the e2e
 * platform, the bench); deploy/k8s/base/<service>.yaml puts the same flags in its container's command
 * (keep the two in step; deploy/test/manifests.int.test.ts checks the manifests).
 *
 * poller: V8 sizes the young generation from the machine's memory (its new space grows to 128 MiB on a
 * 24 GiB machine), and the poller's submit burst grows it to the top and keeps it: 10,000 jobs in flight
 * held ~500 MiB RSS of which ~75 MiB was live. 8 MiB semi-spaces cost more scavenges, each shorter;
 * docs/performance.md has the measured memory and CPU with and without.
 */
export const serviceNodeFlags: Partial<Record<ServiceName, readonly string[]>> = {
  poller: ["--max-semi-space-size=8"],
};

export const nodeFlagsOf = (service: ServiceName): string[] => [...(serviceNodeFlags[service] ?? [])];
