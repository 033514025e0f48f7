import { defineConfig } from "vitest/config";

const tier = (name: string, pattern: string, timeoutMs: number) => ({
  extends: true as const,
  test: {
    name,
    include: [`{libs,services,tools,e2e,deploy}/**/*.${pattern}.test.ts`],
    testTimeout: timeoutMs,
    hookTimeout: timeoutMs,
  },
});

export default defineConfig({
  test: {
    globalSetup: ["libs/testkit/src/global-setup.ts"],
    reporters: ["default", "./libs/testkit/src/summary-reporter.ts"],
    exclude: ["**/node_modules/**"],
    projects: [
      tier("unit", "unit", 10_000),
      tier("int", "int", 60_000),
      tier("e2e", "e2e", 120_000),
      tier("chaos", "chaos", 1_800_000),
    ],
  },
});
