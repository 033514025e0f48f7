import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

export const providers = ["openai", "azure", "chat-sse"] as const;
export type ProviderName = (typeof providers)[number];

export const channelSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '.', '_' or '-'"),
  provider: z.enum(providers),
  base_url: z.url(),
  api_key: z.string().min(1),
  /** azure: the `api-version` query parameter (default "preview"). */
  api_version: z.string().optional(),
  models: z.record(z.string(), z.string()),
  priority: z.number().int().default(0),
  weight: z.number().int().positive().default(1),
  /** Jobs in flight on this channel across every poller replica; unset means no limit. */
  max_concurrent: z.number().int().positive().optional(),
  /** How long one upstream request may take (for chat-sse: the longest silence on the stream). */
  timeout_seconds: z.number().positive().default(30),
  /** A disabled channel takes no new jobs but still serves status, content and remixes of its own videos. */
  disabled: z.boolean().default(false),
  /**
   * Hosts besides the channel's own that its media links may point at (a provider's CDN), without ports. The
   * channel's host and these are trusted as written, private addresses included; links anywhere else are refused.
   */
  media_hosts: z
    .array(
      z
        .string()
        .regex(
          /^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+|[A-Za-z0-9.-]+)$/,
          "a host name or an IP address, no port or scheme",
        ),
    )
    .optional(),
});
export type Channel = z.infer<typeof channelSchema>;

export const channelsFileSchema = z.strictObject({ channels: z.array(channelSchema).min(1) });

/** `${NAME}` in the file is replaced by the environment's value, so secrets stay out of the file. */
export const expandEnv = (text: string, env: NodeJS.ProcessEnv, file: string): string =>
  text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`${file}: \${${name}} is not set in the environment`);
    return value;
  });

export class ChannelsFileError extends Error {
  override name = "ChannelsFileError";
}

export const parseChannelsFile = (file: string, text: string, env: NodeJS.ProcessEnv = process.env): Channel[] => {
  let raw: unknown;
  try {
    const expanded = expandEnv(text, env, file);
    raw = file.endsWith(".json") ? JSON.parse(expanded) : parseYaml(expanded);
  } catch (error) {
    throw new ChannelsFileError(
      `bad channels file ${(error as Error).message.startsWith(file) ? "" : `${file}: `}${(error as Error).message}`,
    );
  }
  const result = channelsFileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ChannelsFileError(`bad channels file ${file}:\n  ${problems.join("\n  ")}`);
  }
  const ids = result.data.channels.map((channel) => channel.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new ChannelsFileError(`bad channels file ${file}: channel id '${duplicate}' appears twice`);
  return result.data.channels;
};

/** The default when no channels file is configured: one channel on the built-in simulator. */
export const simulatorChannel = (baseUrl: string, modelNames: string[]): Channel => ({
  id: "simulator",
  provider: "openai",
  base_url: baseUrl,
  api_key: "simulator",
  models: Object.fromEntries(modelNames.map((name) => [name, name])),
  priority: 0,
  weight: 1,
  timeout_seconds: 30,
  disabled: false,
});

export const loadChannels = (
  { file, simulatorUrl, modelNames }: { file: string | undefined; simulatorUrl: string; modelNames: string[] },
  env: NodeJS.ProcessEnv = process.env,
): { channels: Channel[]; usingSimulator: boolean } =>
  file
    ? { channels: parseChannelsFile(file, readFileSync(file, "utf8"), env), usingSimulator: false }
    : { channels: [simulatorChannel(simulatorUrl, modelNames)], usingSimulator: true };
