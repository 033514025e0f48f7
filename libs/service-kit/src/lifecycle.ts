import type { Logger } from "pino";
import { ConfigError } from "./config.ts";

/** What a running service hands back: how to stop it, in the order it must stop. */
export type Stop = () => Promise<void>;

/**
 * Runs a service's `start` and stops it cleanly on SIGTERM/SIGINT: stop taking work, finish what is
 * in flight, close connections. A second signal, or a stop that hangs, exits at once.
 */
export const runService = async ({
  log,
  start,
  stopTimeoutMs = 20_000,
}: {
  log: Logger;
  start: () => Promise<Stop>;
  stopTimeoutMs?: number;
}): Promise<void> => {
  let stop: Stop;
  try {
    stop = await start();
  } catch (error) {
    if (error instanceof ConfigError) log.fatal(error.message);
    else log.fatal({ err: error }, "failed to start");
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "stopping");
    const timer = setTimeout(() => {
      log.error("stop timed out: exiting");
      process.exit(1);
    }, stopTimeoutMs);
    try {
      await stop();
      log.info("stopped");
      clearTimeout(timer);
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, "stop failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("unhandledRejection", (error) => log.error({ err: error }, "unhandled rejection"));
};
