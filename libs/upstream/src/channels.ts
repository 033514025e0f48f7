import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { ModelMapping } from "./mapping.ts";

export const providers = [
  "openai",
  "azure",
  "chat-sse",
  "gemini",
  "vertex",
  "kling",
  "dashscope",
  "ark",
  "runway",
  "luma",
  "minimax",
] as const;
export type ProviderName = (typeof providers)[number];

export const channelSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '.', '_' or '-'"),
    provider: z.enum(providers),
    base_url: z.url(),
    /** Required by every provider but vertex (which signs in with `key_file`). */
    api_key: z.string().min(1).default(""),
    /** azure: the `api-version` query parameter (default "preview"). */
    api_version: z.string().optional(),
    /** kling: the secret key that signs the JWT for the access key in `api_key`. */
    api_secret: z.string().min(1).optional(),
    /** vertex: the path of a service-account key file (JSON); its `token_uri` is where tokens are asked for. */
    key_file: z.string().min(1).optional(),
    /** vertex: the Google Cloud project and location (region) of the model. */
    project: z.string().min(1).optional(),
    location: z.string().min(1).optional(),
    /**
     * Public name → upstream name, or `{text, image}` where the provider has one model for each; `video` (optional)
     * names the model that edits a video where it is another one (Runway's video_to_video).
     */
    models: z.record(
      z.string(),
      z.union([
        z.string(),
        z.strictObject({ text: z.string().min(1), image: z.string().min(1), video: z.string().min(1).optional() }),
      ]),
    ) as z.ZodType<Record<string, ModelMapping>>,
    /** How often a job in flight is polled at most; unset: the provider's own interval (Veo 10 s). */
    poll_interval_seconds: z.number().positive().optional(),
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
  })
  .superRefine((channel, context) => {
    const need = (field: string, why: string) =>
      context.addIssue({
        code: "custom",
        path: [field],
        message: `required for provider '${channel.provider}': ${why}`,
      });
    if (channel.provider !== "vertex" && channel.api_key === "") need("api_key", "the key the upstream is called with");
    if (channel.provider === "kling" && !channel.api_secret) need("api_secret", "the secret key that signs the JWT");
    if (channel.provider === "vertex") {
      if (!channel.key_file) need("key_file", "the service-account key file");
      if (!channel.project) need("project", "the Google Cloud project");
      if (!channel.location) need("location", "the region, such as us-central1");
    }
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

/** ` (channel 'main')` for a problem inside a channel that has an id, so the message names the channel too. */
const channelNamed = (raw: unknown, path: readonly PropertyKey[]) => {
  if (path[0] !== "channels" || typeof path[1] !== "number") return "";
  const id = (raw as { channels?: Array<{ id?: unknown }> }).channels?.[path[1]]?.id;
  return typeof id === "string" ? ` (channel '${id}')` : "";
};

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
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}${channelNamed(raw, issue.path)}: ${issue.message}`,
    );
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
