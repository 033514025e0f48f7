import { type Category, type NatsNames, natsNames } from "@reelgate/contracts";

/** What one NATS user may publish and subscribe to (nats-server's `permissions` block). */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/**
 * A service's own inboxes (its connection's `inboxPrefix`): where the answers to its requests come (JetStream
 * API replies, PubAcks, pulled messages, KV watches, RPC answers). Only it may listen there, and only the
 * services it asks may answer there.
 *
 * Not nats-server's `allow_responses`: that remembers the reply subject of every message delivered to the
 * client for two minutes and sweeps the whole list each second, and every JetStream delivery has one (its
 * ack subject). At a few thousand deliveries a second the sweep was 90% of nats-server's CPU.
 */
export const inboxPrefixOf = (service: string) => `_INBOX_${service}`;

/** Publishing answers to the requests of the services named (their inboxes). */
const answers = (...askers: string[]) => askers.map((asker) => `${inboxPrefixOf(asker)}.>`);

/** What every service needs: the JetStream API (streams, consumers, pulls), acks of what it pulls, its inboxes. */
const common = (service: string, names: NatsNames, categories: Category[]): NatsPermissions => ({
  publish: [
    "$JS.API.>",
    "$JS.ACK.>",
    // Its own events (the outbox relay) and its own dead letters, nobody else's.
    ...categories.map((category) => names.eventSubject(category, "*")),
    names.deadLetterSubject(service),
  ],
  // Replies (JetStream API answers, PubAcks, pulled messages, RPC answers) come to its own inboxes.
  subscribe: [`${inboxPrefixOf(service)}.>`],
});

const merge = (base: NatsPermissions, extra: Partial<NatsPermissions>): NatsPermissions => ({
  publish: [...base.publish, ...(extra.publish ?? [])],
  subscribe: [...base.subscribe, ...(extra.subscribe ?? [])],
});

/**
 * Each service's NATS user and what it may do: the one table the launcher's generated nats-server
 * config and deploy/k8s's account config are made from. A new service is one entry here.
 */
export const servicePermissions = (namespace = "reelgate"): Record<string, NatsPermissions> => {
  const names = natsNames(namespace);
  return {
    // Writes tasks, characters and API keys; asks billing (admin commands) and the notifier (webhook endpoints); answers
    // the notifier's question of what a video's GET says now.
    ingress: merge(common("ingress", names, ["task", "apikey", "character"]), {
      publish: [names.rpcSubject("billing", "*"), names.rpcSubject("notifier", "*"), ...answers("notifier")],
      subscribe: [names.rpcSubject("ingress", "*")],
    }),
    // The only one that may answer billing's commands.
    billing: merge(common("billing", names, ["account"]), {
      publish: answers("ingress"),
      subscribe: [names.rpcSubject("billing", "*")],
    }),
    // Also keeps its channel state in a JetStream KV bucket.
    poller: merge(common("poller", names, ["job"]), { publish: [`$KV.${namespace}_poller_channels.>`] }),
    storage: common("storage", names, ["asset"]),
    // Webhook endpoints and deliveries; answers ingress's endpoint commands, asks ingress for a video's status.
    notifier: merge(common("notifier", names, ["webhook", "delivery"]), {
      publish: [names.rpcSubject("ingress", "*"), ...answers("ingress")],
      subscribe: [names.rpcSubject("notifier", "*")],
    }),
  };
};

const quote = (text: string) => JSON.stringify(text);

/**
 * A nats-server `authorization` block giving each service its own user with only its permissions.
 * `password(service)` is what goes in the file: a literal (the launcher's generated passwords) or a
 * `$VARIABLE` nats-server reads from its environment (deploy/k8s, where the passwords live in a Secret).
 */
export const natsAuthorization = (
  permissions: Record<string, NatsPermissions>,
  password: (service: string) => string,
): string => {
  const users = Object.entries(permissions).map(([service, allowed]) =>
    [
      "    {",
      `      user: ${quote(service)}`,
      `      password: ${password(service)}`,
      "      permissions: {",
      `        publish: { allow: [${allowed.publish.map(quote).join(", ")}] }`,
      `        subscribe: { allow: [${allowed.subscribe.map(quote).join(", ")}] }`,
      "      }",
      "    }",
    ].join("\n"),
  );
  return `authorization {\n  users: [\n${users.join("\n")}\n  ]\n}\n`;
};

/** Whether a NATS subject matches a permission's subject pattern (`*` one token, `>` the rest). */
const matches = (pattern: string, subject: string) => {
  const want = pattern.split(".");
  const have = subject.split(".");
  for (const [i, token] of want.entries()) {
    if (token === ">") return have.length > i;
    if (i >= have.length || (token !== "*" && token !== have[i])) return false;
  }
  return want.length === have.length;
};

/** Whether the permissions allow publishing on the subject. */
export const mayPublish = (permissions: NatsPermissions, subject: string) =>
  permissions.publish.some((pattern) => matches(pattern, subject));
