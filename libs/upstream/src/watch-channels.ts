import { unwatchFile, watchFile } from "node:fs";
import { readFile } from "node:fs/promises";
import { type Channel, parseChannelsFile } from "./channels.ts";

export interface ChannelsWatch {
  /** The channels in force: the last version of the file that validated. */
  current(): Channel[];
  /** Re-reads the file now (the watcher calls it on every change). */
  reload(): Promise<void>;
  close(): void;
}

/**
 * Follows a channels file that was valid at start: every change is read and validated again; a
 * valid one replaces the channels in force, a bad one is reported and the previous one is kept.
 * Polls the file's stat rather than using inotify, so an editor's rename-over-the-file and a
 * Kubernetes ConfigMap's symlink swap are seen as well as an in-place write.
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
  let reading: Promise<void> = Promise.resolve();

  const readOnce = async () => {
    try {
      const text = await readFile(file, "utf8");
      if (text === lastText) return;
      lastText = text;
      channels = parseChannelsFile(file, text, env);
      onReload?.(channels);
    } catch (error) {
      onError?.(error as Error);
    }
  };
  const reload = () => {
    reading = reading.then(readOnce);
    return reading;
  };
  const listener = () => void reload();
  watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return {
    current: () => channels,
    reload,
    close: () => unwatchFile(file, listener),
  };
};
