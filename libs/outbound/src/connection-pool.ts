import http from "node:http";
import https from "node:https";
import type { LookupFunction, Socket } from "node:net";
import { LRUCache } from "lru-cache";
import type { ResolvedAddress } from "./lookup.ts";

/**
 * Idle keep-alive sockets are closed after this long: below the 5 s that Node's own server (and many others)
 * keeps an idle connection, so we normally close first and rarely send on a socket the server is closing.
 */
export const IDLE_SOCKET_MS = 4000;
/** Agents kept at once (one per checked address and origin); the least recently used goes first. */
const MAX_AGENTS = 64;

/** Hands the socket exactly the address that was checked, so a second DNS answer can never be used. */
export const pinnedLookup =
  (target: ResolvedAddress): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };

interface PooledAgent {
  agent: http.Agent;
  /** Stops keeping sockets: the idle ones close now, the busy ones when their exchange ends. */
  retire: () => void;
}

const socketsOf = (lists: NodeJS.ReadOnlyDict<Socket[]>) => Object.values(lists).flatMap((list) => list ?? []);

const pooledAgent = (protocol: string, address: ResolvedAddress): PooledAgent => {
  // The agent's lookup overrides any other: every socket it ever opens goes to `address`.
  const options = {
    keepAlive: true,
    timeout: IDLE_SOCKET_MS,
    scheduling: "lifo" as const,
    lookup: pinnedLookup(address),
  };
  const agent = protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
  let retired = false;
  const keepSocketAlive = agent.keepSocketAlive.bind(agent);
  agent.keepSocketAlive = (socket) => !retired && keepSocketAlive(socket);
  const retire = () => {
    retired = true;
    for (const socket of socketsOf(agent.freeSockets)) socket.destroy();
  };
  return { agent, retire };
};

// An agent pushed out by newer ones stops keeping sockets (a `delete` by resetPool has destroyed it already).
const agents = new LRUCache<string, PooledAgent>({
  max: MAX_AGENTS,
  dispose: (pooled, _key, reason) => {
    if (reason === "evict") pooled.retire();
  },
});

/**
 * The keep-alive agent for one (protocol, host name, checked address, port): a pooled socket was always opened to
 * the address that passed the check for this very host, so a DNS answer that changes, or another host on the same
 * port, gets a socket of its own and never one made for another. TLS sessions and the servername follow the host.
 */
export const agentFor = (protocol: string, host: string, address: ResolvedAddress, port: string): http.Agent => {
  const key = `${protocol}//${host}|${address.family}|${address.address}|${port}`;
  let pooled = agents.get(key);
  if (!pooled) {
    pooled = pooledAgent(protocol, address);
    agents.set(key, pooled);
  }
  return pooled.agent;
};

/** What the pool holds now (tests; a leak shows as busy sockets that never go back to 0). */
export const poolStats = () => {
  let busy = 0;
  let idle = 0;
  for (const { agent } of agents.values()) {
    busy += socketsOf(agent.sockets).length;
    idle += socketsOf(agent.freeSockets).length;
  }
  return { agents: agents.size, busy, idle };
};

/** Closes every pooled socket and forgets the agents (tests start from an empty pool). */
export const resetPool = () => {
  for (const { agent } of agents.values()) agent.destroy();
  agents.clear();
};
