import type { FastifyBaseLogger } from "fastify";
import type { Bindings, ChildLoggerOptions, Level, Logger } from "pino";

type Log = (...args: unknown[]) => void;

/**
 * A request's logger that becomes pino's child (with the request id bound) only once the request logs at a
 * level that is on. pino makes a child's bindings at once, through the redaction of every secret path
 * (service-kit's logger): ~9% of a GET's CPU at ingress when the request logs nothing (below `info`).
 * Its lines are the child's, byte for byte.
 */
class RequestLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #logger(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  #log(level: Level, args: unknown[]) {
    if (this.#child || this.#parent.isLevelEnabled(level))
      (this.#logger() as unknown as Record<Level, Log>)[level](...args);
  }

  get level(): string {
    return this.#child ? this.#child.level : this.#parent.level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  fatal(...args: unknown[]) {
    this.#log("fatal", args);
  }
  error(...args: unknown[]) {
    this.#log("error", args);
  }
  warn(...args: unknown[]) {
    this.#log("warn", args);
  }
  info(...args: unknown[]) {
    this.#log("info", args);
  }
  debug(...args: unknown[]) {
    this.#log("debug", args);
  }
  trace(...args: unknown[]) {
    this.#log("trace", args);
  }
  silent() {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options) as FastifyBaseLogger;
  }
}

/**
 * fastify's `childLoggerFactory`: a lazy child per request. A route with a level or serializers of its own
 * gets pino's child at once (its level decides what is on).
 */
export const lazyRequestLogger = (
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger =>
  (options.level || options.serializers
    ? logger.child(bindings, options)
    : new RequestLogger(logger as unknown as Logger, bindings, options)) as FastifyBaseLogger;
