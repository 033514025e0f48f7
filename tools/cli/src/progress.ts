import { SingleBar } from "cli-progress";

/** A progress bar on stderr (stdout stays for results); silent when `quiet`. */
export const progressBar = (label: string, total: number, quiet = false, unit = "events") => {
  if (quiet) return { increment: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    hideCursor: true,
  });
  bar.start(total, 0);
  return { increment: () => bar.increment(), stop: () => bar.stop() };
};
