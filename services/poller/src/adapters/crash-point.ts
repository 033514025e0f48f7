import { existsSync, writeFileSync } from "node:fs";

/**
 * A test seam for crash tests: with REELGATE_TEST_CRASH_POINT=<point> and REELGATE_TEST_CRASH_MARKER=<file>,
 * the process SIGKILLs itself the first time it reaches <point> while <file> does not exist (it writes the
 * file first, so the restarted process goes on; the test deletes the file to arm the next crash).
 * Without both variables it does nothing.
 */
export const crashPoint = (env: NodeJS.ProcessEnv) => {
  const wanted = env.REELGATE_TEST_CRASH_POINT;
  const marker = env.REELGATE_TEST_CRASH_MARKER;
  if (!wanted || !marker) return undefined;
  return (point: string) => {
    if (point !== wanted || existsSync(marker)) return;
    writeFileSync(marker, `${process.pid} ${point}\n`);
    process.kill(process.pid, "SIGKILL");
  };
};
