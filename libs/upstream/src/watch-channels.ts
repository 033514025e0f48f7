import { readFile } from "node:fs/promises";
import { type Channel, parseChannelsFile } from "./channels.ts";

export interface ChannelsWatch {
  /** The channels in force: the last version of the file that validated. */
  current(): Channel[];
  /** Re-reads the file now (the watch calls it every interval). */
  reload(): Promise<void>;
  close(): void;
}

/**
 * Follows a channels file that was valid at start: every change is read and validated again; a
 * valid one replaces the channels in force, a bad one is reported and the previous one is kept.
 * Reads the file's content by its path every interval and compares it with the last read, rather
 * than using inotify or stat polling: an editor's rename-over-the-file and a Kubernetes ConfigMap's
 * symlink swap are seen as well as an in-place write, and so is an edit made between the read at
 * start and the first look (a stat watcher takes its baseline late and misses that one), or two
 * edits within one mtime tick. The file is small; one read a second costs nothing.
 */
export const watchChannels = (
  {
    file,
    initial,
    intervalMs = 1000,
    env = process.env,
  }: { file: string; initial: Channel[]; intervalMs?: number; env?: NodeJS.ProcessEnv },
  { onReload, onError }: { onReload?: (channels: Channel[]) => void; onError?: (error: Error) => void } = {},
): ChannelsWatch => {
  let channels = initial;
  let lastText: string | undefined;
  let lastError: string | undefined;
  let reading: Promise<void> = Promise.resolve();
  let pending = 0;

  const readOnce = async () => {
    try {
      const text = await readFile(file, "utf8");
      if (text === lastText) return;
      lastText = text;
      const parsed = parseChannelsFile(file, text, env);
      lastError = undefined;
      // The first look finds the file as it was at start, most of the time: nothing to report.
      if (JSON.stringify(parsed) === JSON.stringify(channels)) return;
      channels = parsed;
      onReload?.(channels);
    } catch (error) {
      // A bad file is reported once, not on every look.
      if ((error as Error).message === lastError) return;
      lastError = (error as Error).message;
      onError?.(error as Error);
    }
  };
  const reload = () => {
    pending += 1;
    reading = reading.then(readOnce).finally(() => {
      pending -= 1;
    });
    return reading;
  };
  // One look at a time: a slow read is not queued up behind more looks.
  const timer = setInterval(() => pending === 0 && void reload(), intervalMs);
  timer.unref();
  void reload();
  return {
    current: () => channels,
    reload,
    close: () => clearInterval(timer),
  };
};
