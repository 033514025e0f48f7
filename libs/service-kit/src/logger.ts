import { type Logger, pino } from "pino";

export type { Logger };

/** One logger per process; every line names the service. Children add `videoId` where there is one. */
export const createLogger = (service: string, level = "info"): Logger =>
  pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
