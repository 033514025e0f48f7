import type { Category } from "./envelope.ts";

/**
 * NATS names. `namespace` (default "reelgate") lets tests and tenants share one server
 * without their streams' subjects overlapping.
 */
export const natsNames = (namespace = "reelgate") => ({
  eventsStream: `${namespace.toUpperCase()}_EVENTS`,
  deadLetterStream: `${namespace.toUpperCase()}_DEAD_LETTERS`,
  eventSubject: (category: Category, type: string) => `${namespace}.events.${category}.${type}`,
  eventsWildcard: `${namespace}.events.>`,
  deadLetterSubject: (service: string) => `${namespace}.dead.${service}`,
  deadLetterWildcard: `${namespace}.dead.>`,
  rpcSubject: (service: string, command: string) => `${namespace}.rpc.${service}.${command}`,
});
export type NatsNames = ReturnType<typeof natsNames>;
