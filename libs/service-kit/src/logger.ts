import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

// Secrets by name, wherever a log line carries them: request and response headers, configs, channels, errors.
const secretNames = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "api-key",
  "x-api-key",
  "x-goog-api-key",
  "api_key",
  "apiKey",
  "api_secret",
  "apiSecret",
  "secret",
  "password",
  "token",
  "adminToken",
  "signingSecret",
  "REELGATE_ADMIN_TOKEN",
  "REELGATE_SIGNING_SECRET",
  "S3_SECRET_ACCESS_KEY",
  "NATS_PASSWORD",
];
const quoted = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);
/** Every secret name at the top of a line and up to three levels down (`req.headers.authorization`, `channel.api_key`). */
export const redactedPaths = secretNames.flatMap((name) =>
  ["", "*", "*.*", "*.*.*"].map((prefix) => `${prefix}${quoted(name)}`.replace(/^\./, "")),
);

/**
 * One logger per process; every line names the service. Children add `videoId` where there is one. Secrets are
 * redacted by name everywhere (`redactedPaths`); `destination` is for tests.
 */
export const createLogger = (service: string, level = "info", destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: "[redacted]" },
    },
    ...(destination ? [destination] : []),
  );
