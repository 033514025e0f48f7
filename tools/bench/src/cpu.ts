import { readFileSync, writeFileSync } from "node:fs";

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

/** A `Vm…:` line of /proc/<pid>/status in MiB. */
const statusMiB = (pid: number, field: "VmHWM" | "VmRSS"): number | undefined => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : undefined;
  } catch {
    return undefined;
  }
};

/** Peak resident memory (VmHWM) of a process in MiB: since start, or since the last `resetPeakRss`. */
export const peakRssMiB = (pid: number | undefined): number | undefined =>
  pid === undefined ? undefined : statusMiB(pid, "VmHWM");

/** Current resident memory (VmRSS) of a process in MiB. */
export const rssMiB = (pid: number | undefined): number | undefined =>
  pid === undefined ? undefined : statusMiB(pid, "VmRSS");

/**
 * Resets VmHWM to the current RSS (Linux: writing "5" to /proc/<pid>/clear_refs), so the next
 * `peakRssMiB` is the peak of what ran since. False where that is not possible.
 */
export const resetPeakRss = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
};

/**
 * The peak RSS of a process over one phase: resets VmHWM at the start and also samples VmRSS every
 * `intervalMs` (in case the reset is not allowed); `stop()` gives the peak of the phase alone.
 */
export const phasePeakRss = (pid: number | undefined, intervalMs = 50) => {
  const reset = resetPeakRss(pid);
  let sampled = rssMiB(pid) ?? 0;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, rssMiB(pid) ?? 0);
  }, intervalMs);
  timer.unref();
  return {
    stop(): number | undefined {
      clearInterval(timer);
      sampled = Math.max(sampled, rssMiB(pid) ?? 0);
      const hwm = reset ? peakRssMiB(pid) : undefined;
      if (hwm === undefined) return sampled > 0 ? sampled : undefined;
      return Math.max(hwm, sampled);
    },
  };
};

/**
 * Write and read system calls a process has made so far (/proc/<pid>/io syscw, syscr: sockets and files
 * alike); undefined where there is no /proc. Socket writes are the cost of a message a profile misreads:
 * a write on loopback that wakes the reader is often preempted, and its wall time lands in `writeBuffer`.
 */
export const ioSyscalls = (pid: number | undefined): { writes: number; reads: number } | undefined => {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/io`, "utf8");
    return { writes: Number(/syscw: (\d+)/.exec(text)?.[1] ?? 0), reads: Number(/syscr: (\d+)/.exec(text)?.[1] ?? 0) };
  } catch {
    return undefined;
  }
};
