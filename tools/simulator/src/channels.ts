import type { SimulatorContext } from "./context.ts";

/** The simulated channels, each created on first use with its own jobs and faults. */
export const createChannels = (newContext: (channel: string) => SimulatorContext) => {
  const contexts = new Map<string, SimulatorContext>();
  return {
    get(channel: string): SimulatorContext {
      let context = contexts.get(channel);
      if (!context) {
        context = newContext(channel);
        contexts.set(channel, context);
      }
      return context;
    },
    list: () => [...contexts.values()],
  };
};

export type Channels = ReturnType<typeof createChannels>;
