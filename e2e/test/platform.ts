import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { natsNames } from "@reelgate/contracts";
import { openSqliteEventStore } from "@reelgate/event-store";
import { freePort, type Stack, type StackOptions, startStack } from "@reelgate/launcher";
import { uniqueNamespace, waitFor } from "@reelgate/testkit";
import OpenAI from "openai";

interface AccountJson {
  id: string;
  name: string;
  balance_usd: string;
  reserved_usd: string;
}

export interface Platform extends Stack {
  namespace: string;
  /** Recent log lines of every process, for a failing test's message. */
  readonly logs: string;
  admin<T = AccountJson>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  /** A new account with `creditsUsd` and an API key for it. */
  account(creditsUsd: string): Promise<{ accountId: string; key: string; client: OpenAI }>;
  balance(accountId: string): Promise<AccountJson>;
  simulator<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  /** How many events ingress has recorded in task streams (to show a refused request recorded none). */
  taskEvents(): Promise<number>;
}

/** Polls a video through the SDK until it is completed or failed. */
export const waitForEnd = (client: OpenAI, id: string, timeoutMs = 60_000) =>
  waitFor(
    `video ${id} to end`,
    async () => {
      const video = await client.videos.retrieve(id);
      return video.status === "completed" || video.status === "failed" ? video : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );

/** The whole platform as separate processes on the test run's nats-server, in a temp data dir. */
export const startPlatform = async (natsUrl: string, options: Partial<StackOptions> = {}): Promise<Platform> => {
  const dataDir = mkdtempSync(join(tmpdir(), "reelgate-e2e-"));
  const namespace = uniqueNamespace("e2e");
  const logs: string[] = [];
  const stack = await startStack({
    dataDir,
    natsUrl,
    namespace,
    simulatorJobMs: 300,
    logLevel: "warn",
    onLine: (source, line) => {
      logs.push(`[${source}] ${line}`);
      if (logs.length > 200) logs.shift();
    },
    ...options,
  });

  const admin = async <T = AccountJson>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as T };
  };

  return {
    ...stack,
    namespace,
    admin,
    get logs() {
      return logs.join("\n");
    },
    async account(creditsUsd) {
      const opened = await admin("POST", "/admin/v1/accounts", { name: "e2e", credits_usd: creditsUsd });
      if (opened.status !== 201) throw new Error(`account not opened: ${JSON.stringify(opened.json)}`);
      const issued = await admin<{ id: string; key: string }>("POST", `/admin/v1/accounts/${opened.json.id}/keys`, {});
      if (issued.status !== 201) throw new Error(`key not issued: ${JSON.stringify(issued.json)}`);
      const client = new OpenAI({ apiKey: issued.json.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
      return { accountId: opened.json.id, key: issued.json.key, client };
    },
    async balance(accountId) {
      return (await admin("GET", `/admin/v1/accounts/${accountId}`)).json;
    },
    async taskEvents() {
      const store = openSqliteEventStore(join(dataDir, "ingress.events.db"));
      try {
        return await store.countAll({ category: "task" });
      } finally {
        await store.close();
      }
    },
    async simulator<T>(path: string, init?: RequestInit) {
      const base = stack.simulatorUrl!.replace(/\/v1$/, "");
      return (await (await fetch(`${base}${path}`, init)).json()) as T;
    },
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/**
 * The platform with the simulator and a channels file pointing channels at it: `yaml` gets the
 * simulator's root URL (channels live under `/c/{name}/…`). `writeChannels` edits the file in place.
 */
export const startPlatformWithChannels = async (
  natsUrl: string,
  yaml: (simulator: string) => string,
  options: Partial<StackOptions> = {},
) => {
  const port = await freePort();
  const simulatorRoot = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "reelgate-channels-"));
  const channelsFile = join(dir, "channels.yaml");
  writeFileSync(channelsFile, yaml(simulatorRoot));
  const platform = await startPlatform(natsUrl, {
    ...options,
    withSimulator: true,
    simulatorPort: port,
    env: { ...options.env, REELGATE_CHANNELS_FILE: channelsFile },
  });
  return {
    ...platform,
    // A spread copies a getter's value once: the logs must stay live.
    get logs() {
      return platform.logs;
    },
    simulatorRoot,
    channelsFile,
    writeChannels: (next: (simulator: string) => string) => writeFileSync(channelsFile, next(simulatorRoot)),
    async stop() {
      await platform.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/**
 * Waits until every durable consumer on the platform's events stream has nothing pending and
 * nothing awaiting an ack (a message waiting out a `nak(delay)` counts as awaiting), twice in a row.
 * Returns the consumers' names.
 */
export const waitForConsumersIdle = async (platform: Pick<Platform, "natsUrl" | "namespace">, timeoutMs = 30_000) => {
  const nc = await connect({ servers: platform.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = natsNames(platform.namespace).eventsStream;
    let idleBefore = false;
    return await waitFor(
      `every consumer on ${stream} to be idle`,
      async () => {
        const consumers = await jsm.consumers.list(stream).next();
        const idle =
          consumers.length > 0 && consumers.every((info) => info.num_pending === 0 && info.num_ack_pending === 0);
        const settled = idle && idleBefore;
        idleBefore = idle;
        return settled && consumers.map((info) => info.name);
      },
      { timeoutMs, intervalMs: 100 },
    );
  } finally {
    await nc.close();
  }
};

/** The events one service's event store holds for one video (`data.videoId`), in append order. */
export const eventsFor = async (
  platform: Pick<Platform, "dataDir">,
  service: "ingress" | "billing" | "poller" | "storage" | "notifier",
  videoId: string,
) => {
  const store = openSqliteEventStore(join(platform.dataDir, `${service}.events.db`));
  const events = [];
  try {
    for await (const event of store.readAll()) {
      if ((event.data as { videoId?: string }).videoId === videoId) events.push(event);
    }
  } finally {
    await store.close();
  }
  return events;
};

/** How many events of each type one service's event store holds for one video. */
export const countEventsFor = async (
  platform: Pick<Platform, "dataDir">,
  service: "ingress" | "billing" | "poller" | "storage" | "notifier",
  videoId: string,
) => {
  const counts: Record<string, number> = {};
  for (const event of await eventsFor(platform, service, videoId)) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
};

/** The header that marks a copy made by `duplicateEveryEvent`. */
export const COPY_HEADER = "Reelgate-Copy";

/**
 * From now on every event published in the namespace is published a second time, under another message
 * id so JetStream does not drop it as a duplicate: every consumer gets everything twice. Returns how to stop.
 */
export const duplicateEveryEvent = async (natsUrl: string, namespace: string) => {
  const nc = await connect({ servers: natsUrl });
  const subscription = nc.subscribe(`${namespace}.events.>`, {
    callback: (_error, message) => {
      if (message.headers?.get(COPY_HEADER)) return;
      const headers = natsHeaders();
      headers.set(COPY_HEADER, "1");
      headers.set("Nats-Msg-Id", `${message.headers?.get("Nats-Msg-Id") ?? message.subject}-copy`);
      nc.publish(message.subject, message.data, { headers });
    },
  });
  await nc.flush();
  return async () => {
    subscription.unsubscribe();
    await nc.close();
  };
};
