import { type Config, configSchema } from "@reelgate/contracts";
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
export const parseConfigFile = <T>(file: string, schema: z.ZodType<T>, content: unknown): T => {
  const result = schema.safeParse(content);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new ConfigError(`bad configuration in ${file}:\n  ${problems.join("\n  ")}`);
};
