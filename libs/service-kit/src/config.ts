import { readFileSync } from "node:fs";
import { builtInCatalog, type Catalog, type Config, configSchema, pricingFileSchema } from "@reelgate/contracts";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads SPEC.md §2 from the environment; a bad value stops the process with the variable and the problem. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`bad configuration in the environment:\n  ${problems.join("\n  ")}`);
};

/** Parses a config file's content with its schema, naming the file and field in the error. */
export const parseConfigFile = <T>(file: string, schema: z.ZodType<T, unknown>, content: unknown): T => {
  const result = schema.safeParse(content);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new ConfigError(`bad configuration in ${file}:\n  ${problems.join("\n  ")}`);
};

/** Reads a JSON or YAML file (by its extension), naming the file when it cannot be read or parsed. */
export const readConfigFile = (file: string): unknown => {
  try {
    const text = readFileSync(file, "utf8");
    return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`bad configuration in ${file}: ${(error as Error).message}`);
  }
};

/** The model catalog every service prices and validates with: REELGATE_PRICING_FILE, or SPEC.md §3's. */
export const loadCatalog = (config: Pick<Config, "REELGATE_PRICING_FILE">): Catalog =>
  config.REELGATE_PRICING_FILE
    ? parseConfigFile(config.REELGATE_PRICING_FILE, pricingFileSchema, readConfigFile(config.REELGATE_PRICING_FILE))
    : builtInCatalog;
