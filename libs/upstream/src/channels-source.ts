import { type Catalog, type Config, modelNames } from "@reelgate/contracts";
import { type Channel, loadChannels } from "./channels.ts";
import { watchChannels } from "./watch-channels.ts";

/** The part of a pino-style logger the source reports to. */
export interface ChannelsLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface ChannelsSource {
  /** The channels in force now: the last valid version of the file (or the simulator channel when there is no file). */
  current(): Channel[];
  /** No channels file is configured: every job goes to the built-in simulator. */
  usingSimulator: boolean;
  /** Stops following the file. */
  close(): void;
}

/** One line per channel, for logs. */
export const describeChannel = (channel: Channel) =>
  `${channel.id} (${channel.provider}, priority ${channel.priority}, weight ${channel.weight}${channel.disabled ? ", disabled" : ""})`;

/**
 * The channels a service uses, followed live: the file is read at start (a bad file throws, so the
 * process stops naming the field) and then watched; every valid edit replaces the channels in force,
 * a bad edit is logged and the previous channels are kept. Every service that talks to upstreams
 * (poller, storage, ingress) reads its channels through this, so an added channel or a rotated
 * `api_key`/`base_url` reaches all of them without a restart.
 */
export const channelsSource = (
  {
    file,
    simulatorUrl,
    modelNames,
    intervalMs,
    env = process.env,
  }: {
    file: string | undefined;
    simulatorUrl: string;
    modelNames: string[];
    intervalMs?: number;
    env?: NodeJS.ProcessEnv;
  },
  { log }: { log?: ChannelsLog } = {},
): ChannelsSource => {
  const loaded = loadChannels({ file, simulatorUrl, modelNames }, env);
  const watch = file
    ? watchChannels(
        { file, initial: loaded.channels, env, ...(intervalMs === undefined ? {} : { intervalMs }) },
        {
          onReload: (channels) => log?.info({ channels: channels.map(describeChannel) }, "channels file reloaded"),
          onError: (error) =>
            log?.error({ err: error.message }, "channels file change rejected; keeping the previous channels"),
        },
      )
    : undefined;
  return {
    current: () => watch?.current() ?? loaded.channels,
    usingSimulator: loaded.usingSimulator,
    close: () => watch?.close(),
  };
};

/** `channelsSource` as every service opens it: REELGATE_CHANNELS_FILE, or the simulator serving the catalog's models. */
export const channelsSourceFromConfig = (
  config: Pick<Config, "REELGATE_CHANNELS_FILE" | "REELGATE_SIMULATOR_URL">,
  catalog: Catalog,
  options: { log?: ChannelsLog } = {},
): ChannelsSource =>
  channelsSource(
    {
      file: config.REELGATE_CHANNELS_FILE,
      simulatorUrl: config.REELGATE_SIMULATOR_URL,
      modelNames: modelNames(catalog),
    },
    options,
  );
