export { ConfigError, loadCatalog, loadConfig, parseConfigFile, readConfigFile } from "./config.ts";
export { runService, type Stop } from "./lifecycle.ts";
export { createLogger, type Logger, redactedPaths } from "./logger.ts";
export { createMetrics, type Metrics } from "./metrics.ts";
export { type ReadinessCheck, registerHttpMetrics, registerOperations } from "./operations.ts";
export { startOperationsServer } from "./operations-server.ts";
export { dataDirSecret, secretsDir } from "./secrets.ts";
