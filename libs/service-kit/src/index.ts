export * from "./config.ts";
export * from "./lifecycle.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./operations.ts";
export * from "./operations-server.ts";
export * from "./secrets.ts";
