import { readFileSync } from "node:fs";

const ticksPerSecond = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where there is no /proc. */
export const cpuSeconds = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
};

/** Peak resident memory (VmHWM) of a process in MiB. */
export const peakRssMiB = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined;
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmHWM:"));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
